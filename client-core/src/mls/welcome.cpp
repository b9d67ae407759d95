#include "gchat/mls/welcome.hpp"

#include <sodium.h>

#include "gchat/mls/crypto_ops.hpp"

namespace gchat::mls {

using codec::decode_value;
using codec::encode_value;

namespace {

constexpr std::string_view kWelcomeLabel = "Welcome";

struct WelcomeKey {
  SecretBytes key;
  SecretBytes nonce;
};

Result<WelcomeKey> welcome_key(const crypto::CipherSuite& suite, BytesView welcome_secret) {
  WelcomeKey k;
  GCHAT_TRY(k.key, expand_with_label(suite, welcome_secret, "key", {}, static_cast<std::uint16_t>(suite.aead_key_length())));
  GCHAT_TRY(k.nonce, expand_with_label(suite, welcome_secret, "nonce", {},
                                       static_cast<std::uint16_t>(suite.aead_nonce_length())));
  return k;
}

}  // namespace

void tls_encode(Writer& w, const GroupSecrets& v) {
  encode_value(w, v.joiner_secret);
  encode_value(w, v.path_secret);
  encode_value(w, v.psks);
}

Status tls_decode(Reader& r, GroupSecrets& v) {
  GCHAT_TRY_STATUS(decode_value(r, v.joiner_secret));
  GCHAT_TRY_STATUS(decode_value(r, v.path_secret));
  return decode_value(r, v.psks);
}

Bytes key_package_ref(const crypto::CipherSuite& suite, const KeyPackage& key_package) {
  return ref_hash(suite, "MLS 1.0 KeyPackage Reference", codec::encode(key_package));
}

Result<SecretBytes> welcome_secret(const crypto::CipherSuite& suite, BytesView joiner_secret, BytesView psk_secret) {
  const SecretBytes member_secret = suite.kdf_extract(joiner_secret, psk_secret);
  return derive_secret(suite, member_secret, "welcome");
}

Bytes group_info_tbs(const GroupInfo& info) {
  Writer w;
  encode_value(w, info.group_context);
  encode_value(w, info.extensions);
  encode_value(w, info.confirmation_tag);
  encode_value(w, info.signer);
  return w.take();
}

Status sign_group_info(const crypto::CipherSuite& suite, GroupInfo& info, BytesView signature_private_key) {
  GCHAT_TRY(info.signature, sign_with_label(suite, signature_private_key, "GroupInfoTBS", group_info_tbs(info)));
  return {};
}

Status verify_group_info(const crypto::CipherSuite& suite, const GroupInfo& info, BytesView signer_public_key) {
  return verify_with_label(suite, signer_public_key, "GroupInfoTBS", group_info_tbs(info), info.signature);
}

Result<GroupSecrets> open_group_secrets(const crypto::CipherSuite& suite, const Welcome& welcome,
                                        BytesView key_package_ref, BytesView init_private_key) {
  if (welcome.cipher_suite != suite.id()) return fail(Errc::mls_invalid_welcome, "the Welcome uses another cipher suite");
  for (const auto& s : welcome.secrets) {
    if (s.new_member.size() != key_package_ref.size() || !equal_ct(s.new_member, key_package_ref)) continue;
    GCHAT_TRY(Bytes plain, decrypt_with_label(suite, init_private_key, kWelcomeLabel, welcome.encrypted_group_info,
                                              s.encrypted_group_secrets.kem_output,
                                              s.encrypted_group_secrets.ciphertext));
    auto secrets = codec::decode_exact<GroupSecrets>(plain);
    sodium_memzero(plain.data(), plain.size());
    if (!secrets.ok()) return Unexpected{secrets.error()};
    if (secrets->joiner_secret.size() != suite.hash_length()) {
      return fail(Errc::mls_invalid_welcome, "the joiner secret has the wrong length");
    }
    return secrets;
  }
  return fail(Errc::not_found, "the Welcome holds no secrets for this key package");
}

Result<GroupInfo> open_group_info(const crypto::CipherSuite& suite, const Welcome& welcome, BytesView welcome_secret) {
  GCHAT_TRY(WelcomeKey k, welcome_key(suite, welcome_secret));
  GCHAT_TRY(Bytes plain, suite.aead_open(k.key, k.nonce, {}, welcome.encrypted_group_info));
  return codec::decode_exact<GroupInfo>(plain);
}

Result<Bytes> seal_group_info(const crypto::CipherSuite& suite, const GroupInfo& info, BytesView welcome_secret) {
  GCHAT_TRY(WelcomeKey k, welcome_key(suite, welcome_secret));
  return suite.aead_seal(k.key, k.nonce, {}, codec::encode(info));
}

Result<EncryptedGroupSecrets> seal_group_secrets(const crypto::CipherSuite& suite, const KeyPackage& key_package,
                                                 const GroupSecrets& secrets, BytesView encrypted_group_info) {
  Bytes plain = codec::encode(secrets);
  auto ct = encrypt_with_label(suite, key_package.init_key, kWelcomeLabel, encrypted_group_info, plain);
  sodium_memzero(plain.data(), plain.size());
  if (!ct.ok()) return Unexpected{ct.error()};
  EncryptedGroupSecrets out;
  out.new_member = key_package_ref(suite, key_package);
  out.encrypted_group_secrets = {std::move(ct->kem_output), std::move(ct->ciphertext)};
  return out;
}

}  // namespace gchat::mls
