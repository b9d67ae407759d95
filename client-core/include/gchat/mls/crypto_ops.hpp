#pragma once
// The labelled cryptographic operations of RFC 9420 §5.1-5.2 and §8. Every label is prefixed with
// "MLS 1.0 " so that no value derived for one purpose can be used for another.

#include <cstdint>
#include <string_view>

#include "gchat/base/bytes.hpp"
#include "gchat/base/result.hpp"
#include "gchat/base/secret_bytes.hpp"
#include "gchat/crypto/cipher_suite.hpp"

namespace gchat::mls {

using crypto::CipherSuite;

// §5.2 RefHash(label, value) = Hash(RefHashInput{label, value}); KeyPackageRef, ProposalRef.
Bytes ref_hash(const CipherSuite& suite, std::string_view label, BytesView value);

// §8 ExpandWithLabel(Secret, Label, Context, Length).
Result<SecretBytes> expand_with_label(const CipherSuite& suite, BytesView secret, std::string_view label,
                                      BytesView context, std::uint16_t length);
// §8 DeriveSecret(Secret, Label) = ExpandWithLabel(Secret, Label, "", Nh).
Result<SecretBytes> derive_secret(const CipherSuite& suite, BytesView secret, std::string_view label);
// §9 DeriveTreeSecret(Secret, Label, Generation, Length).
Result<SecretBytes> derive_tree_secret(const CipherSuite& suite, BytesView secret, std::string_view label,
                                       std::uint32_t generation, std::uint16_t length);

// §5.1.2 SignWithLabel / VerifyWithLabel.
Result<Bytes> sign_with_label(const CipherSuite& suite, BytesView private_key, std::string_view label,
                              BytesView content);
Status verify_with_label(const CipherSuite& suite, BytesView public_key, std::string_view label, BytesView content,
                         BytesView signature);

// §5.1.3 EncryptWithLabel / DecryptWithLabel (HPKE base mode, empty AAD).
Result<crypto::HpkeCiphertext> encrypt_with_label(const CipherSuite& suite, BytesView public_key,
                                                  std::string_view label, BytesView context, BytesView plaintext);
Result<Bytes> decrypt_with_label(const CipherSuite& suite, BytesView private_key, std::string_view label,
                                 BytesView context, BytesView kem_output, BytesView ciphertext);

}  // namespace gchat::mls
