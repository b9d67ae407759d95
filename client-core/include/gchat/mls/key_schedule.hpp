#pragma once
// The MLS key schedule (RFC 9420 §8), pre-shared keys (§8.4), the exporter (§8.5) and the
// transcript hashes (§8.2). Every secret is a SecretBytes, wiped when it goes out of scope; an
// epoch keeps only what later steps of that epoch need.

#include <optional>
#include <string_view>
#include <vector>

#include "gchat/base/bytes.hpp"
#include "gchat/base/result.hpp"
#include "gchat/base/secret_bytes.hpp"
#include "gchat/crypto/cipher_suite.hpp"
#include "gchat/mls/messages.hpp"

namespace gchat::mls {

using crypto::CipherSuite;

struct EpochSecrets {
  SecretBytes joiner_secret;
  SecretBytes welcome_secret;
  SecretBytes epoch_secret;
  SecretBytes sender_data_secret;
  SecretBytes encryption_secret;
  SecretBytes exporter_secret;
  SecretBytes external_secret;
  SecretBytes confirmation_key;
  SecretBytes membership_key;
  SecretBytes resumption_psk;
  SecretBytes epoch_authenticator;
  SecretBytes init_secret;  // the next epoch's init_secret
};

// From the previous epoch's init_secret (or a fresh random one for a new group) and the commit
// secret; psk_secret is the all-zero Nh-byte string when the commit carries no PSK.
Result<EpochSecrets> derive_epoch(const CipherSuite& suite, BytesView init_secret, BytesView commit_secret,
                                  BytesView psk_secret, BytesView group_context);
// For a joiner, who learns joiner_secret from the Welcome.
Result<EpochSecrets> derive_epoch_from_joiner(const CipherSuite& suite, BytesView joiner_secret, BytesView psk_secret,
                                              BytesView group_context);

// §8.5 MLS-Exporter(Label, Context, Length).
Result<SecretBytes> mls_exporter(const CipherSuite& suite, BytesView exporter_secret, std::string_view label,
                                 BytesView context, std::uint16_t length);

// §8.4: psk_secret from the PSKs a commit names, in order. An empty list gives the zero vector.
struct PskInput {
  PreSharedKeyId id;
  BytesView psk;
};
Result<SecretBytes> psk_secret(const CipherSuite& suite, const std::vector<PskInput>& psks);

// §8.2: the transcript hashes after a commit. `content` is the commit's FramedContent and
// `signature` its signature; `confirmation_tag` its confirmation tag.
Bytes confirmed_transcript_hash(const CipherSuite& suite, BytesView interim_before, WireFormat wire_format,
                                const FramedContent& content, BytesView signature);
Bytes interim_transcript_hash(const CipherSuite& suite, BytesView confirmed, BytesView confirmation_tag);
// confirmation_tag = MAC(confirmation_key, confirmed_transcript_hash).
Bytes confirmation_tag(const CipherSuite& suite, BytesView confirmation_key, BytesView confirmed_transcript_hash);

}  // namespace gchat::mls
