// RFC 9180 base mode with DHKEM(X25519, HKDF-SHA256) and HKDF-SHA256.
#include "gchat/crypto/hpke.hpp"

#include <sodium.h>

namespace gchat::crypto {

namespace {

constexpr std::size_t kNsecret = 32;  // DHKEM(X25519) Nsecret
constexpr std::size_t kNpk = 32;
constexpr std::size_t kNsk = 32;
constexpr std::size_t kNh = 32;
constexpr std::size_t kNn = 12;
constexpr std::string_view kVersion = "HPKE-v1";

void put_u16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

// §4: LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" || suite_id || label || ikm)
SecretBytes labeled_extract(BytesView suite_id, BytesView salt, std::string_view label, BytesView ikm) {
  Bytes labeled_ikm = concat({as_bytes(kVersion), suite_id, as_bytes(label), ikm});
  auto prk = hkdf_extract(salt, labeled_ikm);
  sodium_memzero(labeled_ikm.data(), labeled_ikm.size());
  return prk;
}

// §4: LabeledExpand(prk, label, info, L) = Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L)
Result<SecretBytes> labeled_expand(BytesView suite_id, BytesView prk, std::string_view label, BytesView info,
                                   std::size_t length) {
  if (length > 0xffff) return fail(Errc::invalid_argument, "HPKE LabeledExpand length above 65535");
  Bytes labeled_info;
  labeled_info.reserve(2 + kVersion.size() + suite_id.size() + label.size() + info.size());
  put_u16(labeled_info, static_cast<std::uint16_t>(length));
  labeled_info.insert(labeled_info.end(), kVersion.begin(), kVersion.end());
  labeled_info.insert(labeled_info.end(), suite_id.begin(), suite_id.end());
  labeled_info.insert(labeled_info.end(), label.begin(), label.end());
  labeled_info.insert(labeled_info.end(), info.begin(), info.end());
  return hkdf_expand(prk, labeled_info, length);
}

Result<SecretBytes> x25519(BytesView private_key, BytesView public_key) {
  if (private_key.size() != kNsk || public_key.size() != kNpk) {
    return fail(Errc::invalid_key, "X25519 keys must be 32 bytes");
  }
  SecretBytes dh(crypto_scalarmult_BYTES);
  // libsodium returns -1 for an all-zero output (a low-order public key): §7.1.4 requires rejecting it.
  if (crypto_scalarmult(dh.data(), private_key.data(), public_key.data()) != 0) {
    return fail(Errc::invalid_key, "X25519 produced the all-zero shared secret (low-order public key)");
  }
  return dh;
}

}  // namespace

Hpke::Hpke(AeadAlgorithm aead) noexcept : aead_(aead) {
  kem_suite_id_ = Bytes{'K', 'E', 'M'};
  put_u16(kem_suite_id_, kKemId);
  hpke_suite_id_ = Bytes{'H', 'P', 'K', 'E'};
  put_u16(hpke_suite_id_, kKemId);
  put_u16(hpke_suite_id_, kKdfId);
  put_u16(hpke_suite_id_, static_cast<std::uint16_t>(aead));
}

HpkeKeyPair Hpke::generate_key_pair() const {
  SecretBytes ikm(kNsk);
  randombytes_buf(ikm.data(), ikm.size());
  return std::move(derive_key_pair(ikm)).value();  // 32 bytes of input always derive
}

// §7.1.3: for X25519 the private key is the expanded bytes as they are (clamping happens in the DH).
Result<HpkeKeyPair> Hpke::derive_key_pair(BytesView ikm) const {
  auto dkp_prk = labeled_extract(kem_suite_id_, {}, "dkp_prk", ikm);
  GCHAT_TRY(SecretBytes sk, labeled_expand(kem_suite_id_, dkp_prk, "sk", {}, kNsk));
  GCHAT_TRY(Bytes pk, public_key_from_private(sk));
  return HpkeKeyPair{std::move(sk), std::move(pk)};
}

Result<Bytes> Hpke::public_key_from_private(BytesView private_key) const {
  if (private_key.size() != kNsk) return fail(Errc::invalid_key, "X25519 private key must be 32 bytes");
  Bytes pk(kNpk);
  if (crypto_scalarmult_base(pk.data(), private_key.data()) != 0) {
    return fail(Errc::invalid_key, "X25519 private key is invalid");
  }
  return pk;
}

// §4.1 ExtractAndExpand with kem_context = enc || pkR.
Result<SecretBytes> Hpke::encap_shared_secret(BytesView dh, BytesView enc, BytesView pk_r) const {
  Bytes kem_context = concat({enc, pk_r});
  auto eae_prk = labeled_extract(kem_suite_id_, {}, "eae_prk", dh);
  return labeled_expand(kem_suite_id_, eae_prk, "shared_secret", kem_context, kNsecret);
}

// §5.1 KeyScheduleS/R for mode_base (mode 0, empty psk and psk_id).
Result<HpkeContext> Hpke::key_schedule(BytesView shared_secret, BytesView info) const {
  auto psk_id_hash = labeled_extract(hpke_suite_id_, {}, "psk_id_hash", {});
  auto info_hash = labeled_extract(hpke_suite_id_, {}, "info_hash", info);
  Bytes context{0x00};
  context.insert(context.end(), psk_id_hash.view().begin(), psk_id_hash.view().end());
  context.insert(context.end(), info_hash.view().begin(), info_hash.view().end());
  auto secret = labeled_extract(hpke_suite_id_, shared_secret, "secret", {});
  GCHAT_TRY(SecretBytes key, labeled_expand(hpke_suite_id_, secret, "key", context, aead_key_length(aead_)));
  GCHAT_TRY(SecretBytes base_nonce, labeled_expand(hpke_suite_id_, secret, "base_nonce", context, kNn));
  GCHAT_TRY(SecretBytes exporter, labeled_expand(hpke_suite_id_, secret, "exp", context, kNh));
  return HpkeContext(this, std::move(key), std::move(base_nonce), std::move(exporter));
}

Result<HpkeSenderSetup> Hpke::setup_base_s(BytesView public_key, BytesView info, std::optional<BytesView> ikm_e) const {
  if (public_key.size() != kNpk) return fail(Errc::invalid_key, "HPKE recipient public key must be 32 bytes");
  HpkeKeyPair ephemeral;
  if (ikm_e) {
    GCHAT_TRY(ephemeral, derive_key_pair(*ikm_e));
  } else {
    ephemeral = generate_key_pair();
  }
  GCHAT_TRY(SecretBytes dh, x25519(ephemeral.private_key, public_key));
  Bytes enc = ephemeral.public_key;
  GCHAT_TRY(SecretBytes shared, encap_shared_secret(dh, enc, public_key));
  GCHAT_TRY(HpkeContext ctx, key_schedule(shared, info));
  return HpkeSenderSetup{std::move(enc), std::move(ctx)};
}

Result<HpkeContext> Hpke::setup_base_r(BytesView enc, BytesView private_key, BytesView info) const {
  if (enc.size() != kNpk) return fail(Errc::decrypt_failed, "HPKE encapsulated key must be 32 bytes");
  GCHAT_TRY(SecretBytes dh, x25519(private_key, enc));
  GCHAT_TRY(Bytes pk_r, public_key_from_private(private_key));
  GCHAT_TRY(SecretBytes shared, encap_shared_secret(dh, enc, pk_r));
  return key_schedule(shared, info);
}

Result<HpkeCiphertext> Hpke::seal(BytesView public_key, BytesView info, BytesView aad, BytesView plaintext) const {
  GCHAT_TRY(HpkeSenderSetup setup, setup_base_s(public_key, info));
  GCHAT_TRY(Bytes ct, setup.context.seal(aad, plaintext));
  return HpkeCiphertext{std::move(setup.enc), std::move(ct)};
}

Result<Bytes> Hpke::open(BytesView private_key, BytesView kem_output, BytesView info, BytesView aad,
                         BytesView ciphertext) const {
  GCHAT_TRY(HpkeContext ctx, setup_base_r(kem_output, private_key, info));
  return ctx.open(aad, ciphertext);
}

// §5.2: nonce = base_nonce XOR I2OSP(seq, Nn).
Bytes HpkeContext::current_nonce() const {
  Bytes nonce(base_nonce_.view().begin(), base_nonce_.view().end());
  for (std::size_t i = 0; i < 8; ++i) nonce[nonce.size() - 1 - i] ^= static_cast<std::uint8_t>(seq_ >> (8 * i));
  return nonce;
}

// The sequence number must never wrap: the last value retires the context.
void HpkeContext::advance() noexcept {
  if (seq_ == UINT64_MAX) exhausted_ = true;
  else ++seq_;
}

Result<Bytes> HpkeContext::seal(BytesView aad, BytesView plaintext) {
  if (exhausted_) return fail(Errc::crypto_failure, "HPKE context sequence number exhausted");
  GCHAT_TRY(Bytes ct, aead_seal(hpke_->aead(), key_, current_nonce(), aad, plaintext));
  advance();
  return ct;
}

Result<Bytes> HpkeContext::open(BytesView aad, BytesView ciphertext) {
  if (exhausted_) return fail(Errc::crypto_failure, "HPKE context sequence number exhausted");
  GCHAT_TRY(Bytes pt, aead_open(hpke_->aead(), key_, current_nonce(), aad, ciphertext));
  advance();  // only a successful open advances the sequence (§5.2)
  return pt;
}

Result<SecretBytes> HpkeContext::export_secret(BytesView exporter_context, std::size_t length) const {
  return labeled_expand(hpke_->hpke_suite_id_, exporter_secret_, "sec", exporter_context, length);
}

}  // namespace gchat::crypto
