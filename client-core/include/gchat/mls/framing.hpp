#pragma once
// Message framing and protection (RFC 9420 §6): signing and verifying FramedContent, the
// membership tag of a PublicMessage, and the two-layer encryption of a PrivateMessage (content
// under the sender's ratchet key, sender data under the epoch's sender_data_secret).

#include <cstdint>
#include <functional>

#include "gchat/base/bytes.hpp"
#include "gchat/base/result.hpp"
#include "gchat/crypto/cipher_suite.hpp"
#include "gchat/mls/messages.hpp"
#include "gchat/mls/secret_tree.hpp"

namespace gchat::mls {

// FramedContentTBS: what a sender signs. The serialized GroupContext is included for member and
// new_member_commit senders.
Bytes framed_content_tbs(WireFormat wire_format, const FramedContent& content, BytesView group_context);
Result<Bytes> sign_content(const crypto::CipherSuite& suite, WireFormat wire_format, const FramedContent& content,
                           BytesView group_context, BytesView signature_private_key);
Status verify_content(const crypto::CipherSuite& suite, WireFormat wire_format, const FramedContent& content,
                      BytesView group_context, BytesView signature, BytesView signature_public_key);

// PublicMessage. Application data may not be sent in the clear: Errc::mls_invalid_message.
// confirmation_tag is required for commits and ignored otherwise.
Result<PublicMessage> protect_public(const crypto::CipherSuite& suite, const GroupContext& context,
                                     BytesView membership_key, FramedContent content,
                                     BytesView signature_private_key, BytesView confirmation_tag = {});
// Checks group and epoch, the membership tag (member senders) and the signature.
// The signature alone, for an observer that does not hold the membership key (the relay).
Status verify_public_signature(const crypto::CipherSuite& suite, const GroupContext& context,
                               const PublicMessage& message, BytesView signature_public_key);
Status verify_public(const crypto::CipherSuite& suite, const GroupContext& context, BytesView membership_key,
                     const PublicMessage& message, BytesView signature_public_key);

// PrivateMessage. `padding` zero bytes are appended to the content before encryption.
Result<PrivateMessage> protect_private(const crypto::CipherSuite& suite, const GroupContext& context,
                                       SecretTree& tree, BytesView sender_data_secret, const FramedContent& content,
                                       BytesView signature_private_key, BytesView confirmation_tag = {},
                                       std::size_t padding = 0);

struct UnprotectedContent {
  FramedContent content;
  FramedContentAuthData auth;
  std::uint32_t generation = 0;
};
// Signature key of the member at a leaf, or an error if there is none.
using SignatureKeyLookup = std::function<Result<Bytes>(LeafIndex)>;
// Checks group and epoch, decrypts sender data and content, checks the padding and the signature.
// The sender's key is consumed only once all of that has passed: a refused message leaves `tree`
// unchanged, so it can neither stop the genuine message for that generation nor grow the tree.
Result<UnprotectedContent> unprotect_private(const crypto::CipherSuite& suite, const GroupContext& context,
                                             SecretTree& tree, BytesView sender_data_secret,
                                             const PrivateMessage& message, const SignatureKeyLookup& signature_key);

// §6.3.2 sender-data key and nonce, from the first Nh bytes of the content ciphertext.
Result<SecretBytes> sender_data_key(const crypto::CipherSuite& suite, BytesView sender_data_secret,
                                    BytesView ciphertext);
Result<SecretBytes> sender_data_nonce(const crypto::CipherSuite& suite, BytesView sender_data_secret,
                                      BytesView ciphertext);

}  // namespace gchat::mls
