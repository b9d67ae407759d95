#pragma once
// The cryptography of broadcast channels, built from MLS primitives only (SECURITY.md, "Broadcast
// channels"):
//   - the channel key of generation e is the MLS exporter secret of epoch e of the publishers'
//     group: MLS-Exporter("G-Chat channel key v1", channel_id, Nk), Nk the suite's AEAD key size;
//   - it reaches each subscriber device wrapped with MLS EncryptWithLabel (HPKE base mode) to the
//     device's registered channel key, label "G-Chat channel key wrap v1", context
//     channel_id || uint64(generation) || device_key, so that a wrap opens for one device, one
//     channel and one generation only;
//   - a post is one AEAD encryption under the channel key with a random nonce, AAD
//     "G-Chat channel post v1" || 0x00 || channel_id || uint64(generation).

#include <cstdint>

#include "gchat/base/bytes.hpp"
#include "gchat/base/result.hpp"
#include "gchat/base/secret_bytes.hpp"
#include "gchat/crypto/cipher_suite.hpp"
#include "gchat/mls/group.hpp"

namespace gchat::identity {

// The channel key of the publishers' group's current epoch.
Result<SecretBytes> channel_key(const mls::Group& publishers, BytesView channel_id);

Result<crypto::HpkeCiphertext> wrap_channel_key(const crypto::CipherSuite& suite, BytesView hpke_public_key,
                                                BytesView channel_id, std::uint64_t generation, BytesView device_key,
                                                BytesView key);
Result<SecretBytes> unwrap_channel_key(const crypto::CipherSuite& suite, BytesView hpke_private_key,
                                       BytesView channel_id, std::uint64_t generation, BytesView device_key,
                                       const crypto::HpkeCiphertext& wrapped);

struct SealedPost {
  Bytes nonce;
  Bytes ciphertext;
};
Result<SealedPost> seal_channel_post(const crypto::CipherSuite& suite, BytesView key, BytesView channel_id,
                                     std::uint64_t generation, BytesView plaintext);
// Errc::decrypt_failed when the key, generation, channel or bytes do not match.
Result<Bytes> open_channel_post(const crypto::CipherSuite& suite, BytesView key, BytesView channel_id,
                                std::uint64_t generation, BytesView nonce, BytesView ciphertext);

}  // namespace gchat::identity
