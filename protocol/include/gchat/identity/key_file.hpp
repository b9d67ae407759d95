#pragma once
// Private keys of the root, agencies and administrators at rest: a JSON file holding the Ed25519
// seed encrypted with XChaCha20-Poly1305 under a key derived from a passphrase by Argon2id
// (libsodium crypto_pwhash). The kind and public key are authenticated with the ciphertext, so a
// file cannot be passed off as another kind of key. Files are created with mode 0600.

#include <string>
#include <string_view>

#include "gchat/base/result.hpp"
#include "gchat/base/secret_bytes.hpp"
#include "gchat/identity/certificate.hpp"

namespace gchat::identity {

struct KdfCost {
  unsigned long long opslimit;
  std::size_t memlimit;
};
// Argon2id "moderate": 3 passes over 256 MiB, about a second on one core; the root's file may ask
// for more (--kdf sensitive: 4 passes over 1 GiB).
KdfCost moderate_cost() noexcept;
KdfCost sensitive_cost() noexcept;

Status write_key_file(const std::string& path, std::string_view kind, const SigningKey& key,
                      const SecretBytes& passphrase, KdfCost cost);
// Fails with decrypt_failed for a wrong passphrase (or a tampered file), invalid_argument when the
// file holds another kind of key.
Result<SigningKey> read_key_file(const std::string& path, std::string_view kind, const SecretBytes& passphrase);
// The same from the file's text (a front end that was handed the file); `name` appears in errors.
Result<SigningKey> read_key_text(std::string_view text, const std::string& name, std::string_view kind,
                                 const SecretBytes& passphrase);

}  // namespace gchat::identity
