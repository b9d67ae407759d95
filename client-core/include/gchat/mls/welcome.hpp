#pragma once
// Welcome (RFC 9420 §12.4.3): GroupSecrets encrypted to each new member's init key, and the
// GroupInfo encrypted under a key from the welcome secret and signed by the committer.

#include <optional>
#include <vector>

#include "gchat/base/result.hpp"
#include "gchat/base/secret_bytes.hpp"
#include "gchat/crypto/cipher_suite.hpp"
#include "gchat/mls/messages.hpp"

namespace gchat::mls {

struct PathSecret {
  Bytes path_secret;
  GCHAT_TLS_FIELDS(path_secret)
};

struct GroupSecrets {
  Bytes joiner_secret;
  std::optional<PathSecret> path_secret;
  std::vector<PreSharedKeyId> psks;
};
void tls_encode(Writer& w, const GroupSecrets& v);
Status tls_decode(Reader& r, GroupSecrets& v);

// KeyPackageRef = RefHash("MLS 1.0 KeyPackage Reference", KeyPackage).
Bytes key_package_ref(const crypto::CipherSuite& suite, const KeyPackage& key_package);

// welcome_secret = DeriveSecret(KDF.Extract(joiner_secret, psk_secret), "welcome").
Result<SecretBytes> welcome_secret(const crypto::CipherSuite& suite, BytesView joiner_secret, BytesView psk_secret);

// GroupInfoTBS and its signature ("GroupInfoTBS" label).
Bytes group_info_tbs(const GroupInfo& info);
Status sign_group_info(const crypto::CipherSuite& suite, GroupInfo& info, BytesView signature_private_key);
Status verify_group_info(const crypto::CipherSuite& suite, const GroupInfo& info, BytesView signer_public_key);

// The new member's side: its GroupSecrets (Errc::not_found when the Welcome has none for this
// key package), then the GroupInfo.
Result<GroupSecrets> open_group_secrets(const crypto::CipherSuite& suite, const Welcome& welcome,
                                        BytesView key_package_ref, BytesView init_private_key);
Result<GroupInfo> open_group_info(const crypto::CipherSuite& suite, const Welcome& welcome, BytesView welcome_secret);

// The committer's side.
Result<Bytes> seal_group_info(const crypto::CipherSuite& suite, const GroupInfo& info, BytesView welcome_secret);
Result<EncryptedGroupSecrets> seal_group_secrets(const crypto::CipherSuite& suite, const KeyPackage& key_package,
                                                 const GroupSecrets& secrets, BytesView encrypted_group_info);

}  // namespace gchat::mls
