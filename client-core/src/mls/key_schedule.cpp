#include "gchat/mls/key_schedule.hpp"

#include "gchat/mls/crypto_ops.hpp"

namespace gchat::mls {

namespace {

std::uint16_t nh(const CipherSuite& suite) { return static_cast<std::uint16_t>(suite.hash_length()); }

// Everything after member_secret (§8, the right-hand side of the key schedule diagram).
Result<EpochSecrets> from_member_secret(const CipherSuite& suite, SecretBytes joiner_secret,
                                        const SecretBytes& member_secret, BytesView group_context) {
  EpochSecrets e;
  e.joiner_secret = std::move(joiner_secret);
  GCHAT_TRY(e.welcome_secret, derive_secret(suite, member_secret, "welcome"));
  GCHAT_TRY(e.epoch_secret, expand_with_label(suite, member_secret, "epoch", group_context, nh(suite)));
  GCHAT_TRY(e.sender_data_secret, derive_secret(suite, e.epoch_secret, "sender data"));
  GCHAT_TRY(e.encryption_secret, derive_secret(suite, e.epoch_secret, "encryption"));
  GCHAT_TRY(e.exporter_secret, derive_secret(suite, e.epoch_secret, "exporter"));
  GCHAT_TRY(e.external_secret, derive_secret(suite, e.epoch_secret, "external"));
  GCHAT_TRY(e.confirmation_key, derive_secret(suite, e.epoch_secret, "confirm"));
  GCHAT_TRY(e.membership_key, derive_secret(suite, e.epoch_secret, "membership"));
  GCHAT_TRY(e.resumption_psk, derive_secret(suite, e.epoch_secret, "resumption"));
  GCHAT_TRY(e.epoch_authenticator, derive_secret(suite, e.epoch_secret, "authentication"));
  GCHAT_TRY(e.init_secret, derive_secret(suite, e.epoch_secret, "init"));
  return e;
}

Status check_length(const CipherSuite& suite, BytesView secret, const char* what) {
  if (secret.size() != suite.hash_length()) {
    return fail(Errc::invalid_argument, std::string(what) + " must be " + std::to_string(suite.hash_length()) + " bytes");
  }
  return {};
}

}  // namespace

Result<EpochSecrets> derive_epoch(const CipherSuite& suite, BytesView init_secret, BytesView commit_secret,
                                  BytesView psk_secret, BytesView group_context) {
  GCHAT_TRY_STATUS(check_length(suite, init_secret, "init_secret"));
  GCHAT_TRY_STATUS(check_length(suite, commit_secret, "commit_secret"));
  const SecretBytes prk = suite.kdf_extract(init_secret, commit_secret);
  GCHAT_TRY(SecretBytes joiner, expand_with_label(suite, prk, "joiner", group_context, nh(suite)));
  return derive_epoch_from_joiner(suite, joiner, psk_secret, group_context);
}

Result<EpochSecrets> derive_epoch_from_joiner(const CipherSuite& suite, BytesView joiner_secret, BytesView psk_secret,
                                              BytesView group_context) {
  GCHAT_TRY_STATUS(check_length(suite, joiner_secret, "joiner_secret"));
  GCHAT_TRY_STATUS(check_length(suite, psk_secret, "psk_secret"));
  const SecretBytes member_secret = suite.kdf_extract(joiner_secret, psk_secret);
  return from_member_secret(suite, SecretBytes(joiner_secret), member_secret, group_context);
}

Result<SecretBytes> mls_exporter(const CipherSuite& suite, BytesView exporter_secret, std::string_view label,
                                 BytesView context, std::uint16_t length) {
  GCHAT_TRY(SecretBytes derived, derive_secret(suite, exporter_secret, label));
  return expand_with_label(suite, derived, "exported", suite.hash(context), length);
}

Result<SecretBytes> psk_secret(const CipherSuite& suite, const std::vector<PskInput>& psks) {
  const Bytes zero(suite.hash_length(), 0);
  SecretBytes secret{BytesView(zero)};
  if (psks.size() > 0xffff) return fail(Errc::invalid_argument, "at most 65535 PSKs");
  const auto count = static_cast<std::uint16_t>(psks.size());
  for (std::uint16_t i = 0; i < count; ++i) {
    // PSKLabel { PreSharedKeyID id; uint16 index; uint16 count; }
    Writer label;
    codec::encode_value(label, psks[i].id);
    label.u16(i);
    label.u16(count);
    const SecretBytes extracted = suite.kdf_extract(zero, psks[i].psk);
    GCHAT_TRY(SecretBytes input, expand_with_label(suite, extracted, "derived psk", label.bytes(), nh(suite)));
    secret = suite.kdf_extract(input, secret);
  }
  return secret;
}

Bytes confirmed_transcript_hash(const CipherSuite& suite, BytesView interim_before, WireFormat wire_format,
                                const FramedContent& content, BytesView signature) {
  // interim_before || ConfirmedTranscriptHashInput { wire_format; content; signature }
  Writer w;
  w.raw(interim_before);
  codec::encode_value(w, wire_format);
  codec::encode_value(w, content);
  w.opaque(signature);
  return suite.hash(w.bytes());
}

Bytes interim_transcript_hash(const CipherSuite& suite, BytesView confirmed, BytesView confirmation_tag) {
  // confirmed || InterimTranscriptHashInput { confirmation_tag }
  Writer w;
  w.raw(confirmed);
  w.opaque(confirmation_tag);
  return suite.hash(w.bytes());
}

Bytes confirmation_tag(const CipherSuite& suite, BytesView confirmation_key, BytesView confirmed_transcript_hash) {
  return suite.mac(confirmation_key, confirmed_transcript_hash);
}

}  // namespace gchat::mls
