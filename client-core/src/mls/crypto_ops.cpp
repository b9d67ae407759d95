#include "gchat/mls/crypto_ops.hpp"

#include "gchat/codec/tls.hpp"
#include "gchat/crypto/hpke.hpp"

namespace gchat::mls {

namespace {

constexpr std::string_view kLabelPrefix = "MLS 1.0 ";

Bytes mls_label(std::string_view label) {
  Bytes out;
  out.reserve(kLabelPrefix.size() + label.size());
  out.insert(out.end(), kLabelPrefix.begin(), kLabelPrefix.end());
  out.insert(out.end(), label.begin(), label.end());
  return out;
}

// KDFLabel, SignContent and EncryptContext share the shape "label<V> then context<V>"; only
// KDFLabel has a length in front (§5.1.2, §5.1.3, §8).
Bytes labelled(std::string_view label, BytesView context) {
  codec::Writer w(kLabelPrefix.size() + label.size() + context.size() + 8);
  w.opaque(mls_label(label));
  w.opaque(context);
  return w.take();
}

}  // namespace

Bytes ref_hash(const CipherSuite& suite, std::string_view label, BytesView value) {
  codec::Writer w(label.size() + value.size() + 8);
  w.opaque(as_bytes(label));  // RefHashInput uses the label as given, without the "MLS 1.0 " prefix
  w.opaque(value);
  return suite.hash(w.bytes());
}

Result<SecretBytes> expand_with_label(const CipherSuite& suite, BytesView secret, std::string_view label,
                                      BytesView context, std::uint16_t length) {
  codec::Writer w(kLabelPrefix.size() + label.size() + context.size() + 10);
  w.u16(length);
  w.opaque(mls_label(label));
  w.opaque(context);
  return suite.kdf_expand(secret, w.bytes(), length);
}

Result<SecretBytes> derive_secret(const CipherSuite& suite, BytesView secret, std::string_view label) {
  return expand_with_label(suite, secret, label, {}, static_cast<std::uint16_t>(suite.hash_length()));
}

Result<SecretBytes> derive_tree_secret(const CipherSuite& suite, BytesView secret, std::string_view label,
                                       std::uint32_t generation, std::uint16_t length) {
  codec::Writer g;
  g.u32(generation);
  return expand_with_label(suite, secret, label, g.bytes(), length);
}

Result<Bytes> sign_with_label(const CipherSuite& suite, BytesView private_key, std::string_view label,
                              BytesView content) {
  return suite.sign(private_key, labelled(label, content));
}

Status verify_with_label(const CipherSuite& suite, BytesView public_key, std::string_view label, BytesView content,
                         BytesView signature) {
  return suite.verify(public_key, labelled(label, content), signature);
}

Result<crypto::HpkeCiphertext> encrypt_with_label(const CipherSuite& suite, BytesView public_key,
                                                  std::string_view label, BytesView context, BytesView plaintext) {
  return suite.hpke().seal(public_key, labelled(label, context), {}, plaintext);
}

Result<Bytes> decrypt_with_label(const CipherSuite& suite, BytesView private_key, std::string_view label,
                                 BytesView context, BytesView kem_output, BytesView ciphertext) {
  return suite.hpke().open(private_key, kem_output, labelled(label, context), {}, ciphertext);
}

}  // namespace gchat::mls
