#include "gchat/mls/framing.hpp"

#include <sodium.h>

#include <array>
#include <string>

#include "gchat/mls/crypto_ops.hpp"

namespace gchat::mls {

using codec::encode_value;

namespace {

constexpr std::size_t kReuseGuardSize = 4;

// SenderData (§6.3.2).
struct SenderData {
  std::uint32_t leaf_index = 0;
  std::uint32_t generation = 0;
  std::array<std::uint8_t, kReuseGuardSize> reuse_guard{};
  GCHAT_TLS_FIELDS(leaf_index, generation, reuse_guard)
};

bool signs_group_context(const Sender& s) {
  return s.sender_type == SenderType::member || s.sender_type == SenderType::new_member_commit;
}

Status check_group_and_epoch(const GroupContext& context, BytesView group_id, std::uint64_t epoch) {
  if (!equal_ct(group_id, context.group_id) || group_id.size() != context.group_id.size()) {
    return fail(Errc::mls_wrong_group, "the message belongs to another group");
  }
  if (epoch != context.epoch) {
    return fail(Errc::mls_wrong_epoch, "the message is for epoch " + std::to_string(epoch) + ", the group is at " +
                                           std::to_string(context.epoch));
  }
  return {};
}

// AuthenticatedContentTBM = FramedContentTBS || FramedContentAuthData.
Bytes membership_tag(const crypto::CipherSuite& suite, BytesView membership_key, const PublicMessage& m,
                     BytesView group_context) {
  Writer w;
  w.raw(framed_content_tbs(WireFormat::public_message, m.content, group_context));
  encode_auth(w, m.auth, m.content.content_type());
  return suite.mac(membership_key, w.bytes());
}

Bytes private_content_aad(const PrivateMessage& m) {
  Writer w;
  encode_value(w, m.group_id);
  encode_value(w, m.epoch);
  encode_value(w, m.content_type);
  encode_value(w, m.authenticated_data);
  return w.take();
}

Bytes sender_data_aad(const PrivateMessage& m) {
  Writer w;
  encode_value(w, m.group_id);
  encode_value(w, m.epoch);
  encode_value(w, m.content_type);
  return w.take();
}

BytesView ciphertext_sample(const crypto::CipherSuite& suite, BytesView ciphertext) {
  return ciphertext.first(std::min(ciphertext.size(), suite.hash_length()));
}

void apply_reuse_guard(SecretBytes& nonce, const std::array<std::uint8_t, kReuseGuardSize>& guard) {
  for (std::size_t i = 0; i < kReuseGuardSize; ++i) nonce.data()[i] ^= guard[i];
}

RatchetType ratchet_for(ContentType type) {
  return type == ContentType::application ? RatchetType::application : RatchetType::handshake;
}

Status check_confirmation_tag(const FramedContent& content, BytesView confirmation_tag) {
  if (content.content_type() == ContentType::commit && confirmation_tag.empty()) {
    return fail(Errc::invalid_argument, "a commit needs its confirmation tag");
  }
  return {};
}

}  // namespace

Bytes framed_content_tbs(WireFormat wire_format, const FramedContent& content, BytesView group_context) {
  Writer w;
  encode_value(w, ProtocolVersion::mls10);
  encode_value(w, wire_format);
  encode_value(w, content);
  if (signs_group_context(content.sender)) w.raw(group_context);
  return w.take();
}

Result<Bytes> sign_content(const crypto::CipherSuite& suite, WireFormat wire_format, const FramedContent& content,
                           BytesView group_context, BytesView signature_private_key) {
  return sign_with_label(suite, signature_private_key, "FramedContentTBS",
                         framed_content_tbs(wire_format, content, group_context));
}

Status verify_content(const crypto::CipherSuite& suite, WireFormat wire_format, const FramedContent& content,
                      BytesView group_context, BytesView signature, BytesView signature_public_key) {
  return verify_with_label(suite, signature_public_key, "FramedContentTBS",
                           framed_content_tbs(wire_format, content, group_context), signature);
}

Result<PublicMessage> protect_public(const crypto::CipherSuite& suite, const GroupContext& context,
                                     BytesView membership_key, FramedContent content,
                                     BytesView signature_private_key, BytesView confirmation_tag) {
  if (content.content_type() == ContentType::application) {
    return fail(Errc::mls_invalid_message, "application data must be sent as a PrivateMessage");
  }
  GCHAT_TRY_STATUS(check_confirmation_tag(content, confirmation_tag));
  const Bytes ctx = codec::encode(context);
  PublicMessage m;
  GCHAT_TRY(m.auth.signature,
            sign_content(suite, WireFormat::public_message, content, ctx, signature_private_key));
  if (content.content_type() == ContentType::commit) m.auth.confirmation_tag.assign(confirmation_tag.begin(), confirmation_tag.end());
  m.content = std::move(content);
  if (m.content.sender.sender_type == SenderType::member) m.membership_tag = membership_tag(suite, membership_key, m, ctx);
  return m;
}

Status verify_public_signature(const crypto::CipherSuite& suite, const GroupContext& context,
                               const PublicMessage& message, BytesView signature_public_key) {
  GCHAT_TRY_STATUS(check_group_and_epoch(context, message.content.group_id, message.content.epoch));
  if (message.content.content_type() == ContentType::application) {
    return fail(Errc::mls_invalid_message, "application data in a PublicMessage is not allowed");
  }
  return verify_content(suite, WireFormat::public_message, message.content, codec::encode(context),
                        message.auth.signature, signature_public_key);
}

Status verify_public(const crypto::CipherSuite& suite, const GroupContext& context, BytesView membership_key,
                     const PublicMessage& message, BytesView signature_public_key) {
  GCHAT_TRY_STATUS(check_group_and_epoch(context, message.content.group_id, message.content.epoch));
  if (message.content.sender.sender_type == SenderType::member &&
      message.content.content_type() != ContentType::application) {
    const Bytes expected = membership_tag(suite, membership_key, message, codec::encode(context));
    if (message.membership_tag.size() != expected.size() || !equal_ct(message.membership_tag, expected)) {
      return fail(Errc::mls_bad_membership_tag, "the membership tag does not verify");
    }
  }
  return verify_public_signature(suite, context, message, signature_public_key);
}

Result<SecretBytes> sender_data_key(const crypto::CipherSuite& suite, BytesView sender_data_secret,
                                    BytesView ciphertext) {
  return expand_with_label(suite, sender_data_secret, "key", ciphertext_sample(suite, ciphertext),
                           static_cast<std::uint16_t>(suite.aead_key_length()));
}

Result<SecretBytes> sender_data_nonce(const crypto::CipherSuite& suite, BytesView sender_data_secret,
                                      BytesView ciphertext) {
  return expand_with_label(suite, sender_data_secret, "nonce", ciphertext_sample(suite, ciphertext),
                           static_cast<std::uint16_t>(suite.aead_nonce_length()));
}

Result<PrivateMessage> protect_private(const crypto::CipherSuite& suite, const GroupContext& context,
                                       SecretTree& tree, BytesView sender_data_secret, const FramedContent& content,
                                       BytesView signature_private_key, BytesView confirmation_tag,
                                       std::size_t padding) {
  if (content.sender.sender_type != SenderType::member) {
    return fail(Errc::mls_invalid_sender, "only members send PrivateMessages");
  }
  GCHAT_TRY_STATUS(check_group_and_epoch(context, content.group_id, content.epoch));
  GCHAT_TRY_STATUS(check_confirmation_tag(content, confirmation_tag));
  if (padding > (1u << 20)) return fail(Errc::invalid_argument, "padding is limited to 1 MiB");

  FramedContentAuthData auth;
  GCHAT_TRY(auth.signature, sign_content(suite, WireFormat::private_message, content, codec::encode(context),
                                         signature_private_key));
  if (content.content_type() == ContentType::commit) auth.confirmation_tag.assign(confirmation_tag.begin(), confirmation_tag.end());

  // PrivateMessageContent: body, auth, zero padding.
  Writer plain;
  encode_body(plain, content);
  encode_auth(plain, auth, content.content_type());
  plain.raw(Bytes(padding, 0));
  Bytes plaintext = plain.take();

  PrivateMessage m;
  m.group_id = content.group_id;
  m.epoch = content.epoch;
  m.content_type = content.content_type();
  m.authenticated_data = content.authenticated_data;

  GCHAT_TRY(RatchetKey key, tree.next(content.sender.index, ratchet_for(m.content_type)));
  SenderData sd;
  sd.leaf_index = content.sender.index;
  sd.generation = key.generation;
  randombytes_buf(sd.reuse_guard.data(), sd.reuse_guard.size());
  apply_reuse_guard(key.nonce, sd.reuse_guard);
  auto sealed = suite.aead_seal(key.key, key.nonce, private_content_aad(m), plaintext);
  sodium_memzero(plaintext.data(), plaintext.size());
  if (!sealed.ok()) return Unexpected{sealed.error()};
  m.ciphertext = std::move(*sealed);

  GCHAT_TRY(SecretBytes sd_key, sender_data_key(suite, sender_data_secret, m.ciphertext));
  GCHAT_TRY(SecretBytes sd_nonce, sender_data_nonce(suite, sender_data_secret, m.ciphertext));
  GCHAT_TRY(m.encrypted_sender_data, suite.aead_seal(sd_key, sd_nonce, sender_data_aad(m), codec::encode(sd)));
  return m;
}

Result<UnprotectedContent> unprotect_private(const crypto::CipherSuite& suite, const GroupContext& context,
                                             SecretTree& tree, BytesView sender_data_secret,
                                             const PrivateMessage& message, const SignatureKeyLookup& signature_key) {
  GCHAT_TRY_STATUS(check_group_and_epoch(context, message.group_id, message.epoch));
  if (message.content_type < ContentType::application || message.content_type > ContentType::commit) {
    return fail(Errc::invalid_value, "unknown content type");
  }
  GCHAT_TRY(SecretBytes sd_key, sender_data_key(suite, sender_data_secret, message.ciphertext));
  GCHAT_TRY(SecretBytes sd_nonce, sender_data_nonce(suite, sender_data_secret, message.ciphertext));
  GCHAT_TRY(Bytes sd_bytes, suite.aead_open(sd_key, sd_nonce, sender_data_aad(message), message.encrypted_sender_data));
  GCHAT_TRY(SenderData sd, codec::decode_exact<SenderData>(sd_bytes));

  // Verify, then change: the key is only looked up here and consumed at the end, once decryption,
  // decoding, padding and signature have all passed; a refused message leaves the tree unchanged.
  const RatchetType type = ratchet_for(message.content_type);
  GCHAT_TRY(RatchetKey key, tree.key_for(sd.leaf_index, type, sd.generation));
  apply_reuse_guard(key.nonce, sd.reuse_guard);
  GCHAT_TRY(Bytes opened, suite.aead_open(key.key, key.nonce, private_content_aad(message), message.ciphertext));
  SecretBytes plaintext = SecretBytes::take(opened);

  UnprotectedContent out;
  out.generation = sd.generation;
  out.content.group_id = message.group_id;
  out.content.epoch = message.epoch;
  out.content.sender = Sender{SenderType::member, sd.leaf_index};
  out.content.authenticated_data = message.authenticated_data;
  Reader r(plaintext.view());
  GCHAT_TRY_STATUS(decode_body(r, message.content_type, out.content));
  GCHAT_TRY_STATUS(decode_auth(r, message.content_type, out.auth));
  // §6.3.1: everything after the content is padding and must be zero.
  GCHAT_TRY(BytesView padding, r.raw_view(r.remaining()));
  std::uint8_t any = 0;
  for (auto b : padding) any |= b;
  if (any != 0) return fail(Errc::malformed, "PrivateMessage padding is not all zero");

  GCHAT_TRY(Bytes public_key, signature_key(sd.leaf_index));
  GCHAT_TRY_STATUS(verify_content(suite, WireFormat::private_message, out.content, codec::encode(context),
                                  out.auth.signature, public_key));
  GCHAT_TRY_STATUS(tree.consume(sd.leaf_index, type, sd.generation));
  return out;
}

}  // namespace gchat::mls
