#include "gchat/mls/messages.hpp"

#include <string>

namespace gchat::mls {

using codec::decode_value;
using codec::encode_value;

namespace {

Status unknown(const char* what, std::uint64_t value) {
  return fail(Errc::invalid_value, std::string(what) + " " + std::to_string(value) + " is not supported");
}

// Decodes alternative I of a variant in place.
template <std::size_t I, typename Variant>
Status decode_alternative(Reader& r, Variant& v) {
  std::variant_alternative_t<I, Variant> item{};
  GCHAT_TRY_STATUS(decode_value(r, item));
  v.template emplace<I>(std::move(item));
  return {};
}

}  // namespace

// --- Credential ------------------------------------------------------------------------------

void tls_encode(Writer& w, const Credential& v) {
  encode_value(w, v.credential_type);
  if (v.credential_type == CredentialType::x509) encode_value(w, v.certificates);
  else encode_value(w, v.identity);
}

Status tls_decode(Reader& r, Credential& v) {
  GCHAT_TRY_STATUS(decode_value(r, v.credential_type));
  switch (v.credential_type) {
    case CredentialType::basic:
    case CredentialType::gchat: return decode_value(r, v.identity);
    case CredentialType::x509: return decode_value(r, v.certificates);
  }
  return unknown("credential type", static_cast<std::uint16_t>(v.credential_type));
}

// --- LeafNode --------------------------------------------------------------------------------

void tls_encode(Writer& w, const LeafNode& v) {
  encode_leaf_node_content(w, v);
  encode_value(w, v.signature);
}

void encode_leaf_node_content(Writer& w, const LeafNode& v) {
  encode_value(w, v.encryption_key);
  encode_value(w, v.signature_key);
  encode_value(w, v.credential);
  encode_value(w, v.capabilities);
  encode_value(w, v.leaf_node_source);
  if (v.leaf_node_source == LeafNodeSource::key_package) encode_value(w, v.lifetime);
  else if (v.leaf_node_source == LeafNodeSource::commit) encode_value(w, v.parent_hash);
  encode_value(w, v.extensions);
}

Status tls_decode(Reader& r, LeafNode& v) {
  GCHAT_TRY_STATUS(decode_value(r, v.encryption_key));
  GCHAT_TRY_STATUS(decode_value(r, v.signature_key));
  GCHAT_TRY_STATUS(decode_value(r, v.credential));
  GCHAT_TRY_STATUS(decode_value(r, v.capabilities));
  GCHAT_TRY_STATUS(decode_value(r, v.leaf_node_source));
  switch (v.leaf_node_source) {
    case LeafNodeSource::key_package: GCHAT_TRY_STATUS(decode_value(r, v.lifetime)); break;
    case LeafNodeSource::update: break;
    case LeafNodeSource::commit: GCHAT_TRY_STATUS(decode_value(r, v.parent_hash)); break;
    default: return unknown("leaf node source", static_cast<std::uint8_t>(v.leaf_node_source));
  }
  GCHAT_TRY_STATUS(decode_value(r, v.extensions));
  return decode_value(r, v.signature);
}

// --- PreSharedKeyID --------------------------------------------------------------------------

void tls_encode(Writer& w, const PreSharedKeyId& v) {
  encode_value(w, v.psktype);
  if (v.psktype == PskType::external) {
    encode_value(w, v.psk_id);
  } else {
    encode_value(w, v.usage);
    encode_value(w, v.psk_group_id);
    encode_value(w, v.psk_epoch);
  }
  encode_value(w, v.psk_nonce);
}

Status tls_decode(Reader& r, PreSharedKeyId& v) {
  GCHAT_TRY_STATUS(decode_value(r, v.psktype));
  switch (v.psktype) {
    case PskType::external: GCHAT_TRY_STATUS(decode_value(r, v.psk_id)); break;
    case PskType::resumption:
      GCHAT_TRY_STATUS(decode_value(r, v.usage));
      if (v.usage < ResumptionPskUsage::application || v.usage > ResumptionPskUsage::branch) {
        return unknown("resumption PSK usage", static_cast<std::uint8_t>(v.usage));
      }
      GCHAT_TRY_STATUS(decode_value(r, v.psk_group_id));
      GCHAT_TRY_STATUS(decode_value(r, v.psk_epoch));
      break;
    default: return unknown("PSK type", static_cast<std::uint8_t>(v.psktype));
  }
  return decode_value(r, v.psk_nonce);
}

// --- Proposal --------------------------------------------------------------------------------

void tls_encode(Writer& w, const Proposal& v) {
  encode_value(w, v.type());
  std::visit([&](const auto& body) { encode_value(w, body); }, v.body);
}

Status tls_decode(Reader& r, Proposal& v) {
  ProposalType type{};
  GCHAT_TRY_STATUS(decode_value(r, type));
  switch (type) {
    case ProposalType::add: return decode_alternative<0>(r, v.body);
    case ProposalType::update: return decode_alternative<1>(r, v.body);
    case ProposalType::remove: return decode_alternative<2>(r, v.body);
    case ProposalType::psk: return decode_alternative<3>(r, v.body);
    case ProposalType::reinit: return decode_alternative<4>(r, v.body);
    case ProposalType::external_init: return decode_alternative<5>(r, v.body);
    case ProposalType::group_context_extensions: return decode_alternative<6>(r, v.body);
  }
  return unknown("proposal type", static_cast<std::uint16_t>(type));
}

void tls_encode(Writer& w, const ProposalOrRef& v) {
  if (const auto* p = std::get_if<Proposal>(&v.value)) {
    w.u8(1);
    encode_value(w, *p);
  } else {
    w.u8(2);
    encode_value(w, std::get<Bytes>(v.value));
  }
}

Status tls_decode(Reader& r, ProposalOrRef& v) {
  GCHAT_TRY(auto type, r.u8());
  if (type == 1) return decode_alternative<0>(r, v.value);
  if (type == 2) return decode_alternative<1>(r, v.value);
  return unknown("ProposalOrRef type", type);
}

void tls_encode(Writer& w, const Commit& v) {
  encode_value(w, v.proposals);
  encode_value(w, v.path);
}

Status tls_decode(Reader& r, Commit& v) {
  GCHAT_TRY_STATUS(decode_value(r, v.proposals));
  return decode_value(r, v.path);
}

// --- Sender, FramedContent, auth data --------------------------------------------------------

void tls_encode(Writer& w, const Sender& v) {
  encode_value(w, v.sender_type);
  if (v.sender_type == SenderType::member || v.sender_type == SenderType::external) w.u32(v.index);
}

Status tls_decode(Reader& r, Sender& v) {
  GCHAT_TRY_STATUS(decode_value(r, v.sender_type));
  switch (v.sender_type) {
    case SenderType::member:
    case SenderType::external: {
      GCHAT_TRY(v.index, r.u32());
      return {};
    }
    case SenderType::new_member_proposal:
    case SenderType::new_member_commit: v.index = 0; return {};
  }
  return unknown("sender type", static_cast<std::uint8_t>(v.sender_type));
}

void encode_body(Writer& w, const FramedContent& v) {
  std::visit([&](const auto& body) { encode_value(w, body); }, v.body);
}

Status decode_body(Reader& r, ContentType type, FramedContent& v) {
  switch (type) {
    case ContentType::application: return decode_alternative<0>(r, v.body);
    case ContentType::proposal: return decode_alternative<1>(r, v.body);
    case ContentType::commit: return decode_alternative<2>(r, v.body);
  }
  return unknown("content type", static_cast<std::uint8_t>(type));
}

void tls_encode(Writer& w, const FramedContent& v) {
  encode_value(w, v.group_id);
  encode_value(w, v.epoch);
  encode_value(w, v.sender);
  encode_value(w, v.authenticated_data);
  encode_value(w, v.content_type());
  encode_body(w, v);
}

Status tls_decode(Reader& r, FramedContent& v) {
  GCHAT_TRY_STATUS(decode_value(r, v.group_id));
  GCHAT_TRY_STATUS(decode_value(r, v.epoch));
  GCHAT_TRY_STATUS(decode_value(r, v.sender));
  GCHAT_TRY_STATUS(decode_value(r, v.authenticated_data));
  ContentType type{};
  GCHAT_TRY_STATUS(decode_value(r, type));
  return decode_body(r, type, v);
}

void encode_auth(Writer& w, const FramedContentAuthData& v, ContentType type) {
  encode_value(w, v.signature);
  if (type == ContentType::commit) encode_value(w, v.confirmation_tag);
}

Status decode_auth(Reader& r, ContentType type, FramedContentAuthData& v) {
  GCHAT_TRY_STATUS(decode_value(r, v.signature));
  if (type == ContentType::commit) return decode_value(r, v.confirmation_tag);
  v.confirmation_tag.clear();
  return {};
}

// --- PublicMessage, MLSMessage ---------------------------------------------------------------

void tls_encode(Writer& w, const PublicMessage& v) {
  encode_value(w, v.content);
  encode_auth(w, v.auth, v.content.content_type());
  if (v.content.sender.sender_type == SenderType::member) encode_value(w, v.membership_tag);
}

Status tls_decode(Reader& r, PublicMessage& v) {
  GCHAT_TRY_STATUS(decode_value(r, v.content));
  GCHAT_TRY_STATUS(decode_auth(r, v.content.content_type(), v.auth));
  if (v.content.sender.sender_type == SenderType::member) return decode_value(r, v.membership_tag);
  v.membership_tag.clear();
  return {};
}

void tls_encode(Writer& w, const MlsMessage& v) {
  encode_value(w, v.version);
  encode_value(w, v.wire_format());
  std::visit([&](const auto& body) { encode_value(w, body); }, v.body);
}

Status tls_decode(Reader& r, MlsMessage& v) {
  GCHAT_TRY_STATUS(decode_value(r, v.version));
  if (v.version != ProtocolVersion::mls10) return unknown("protocol version", static_cast<std::uint16_t>(v.version));
  WireFormat wf{};
  GCHAT_TRY_STATUS(decode_value(r, wf));
  switch (wf) {
    case WireFormat::public_message: return decode_alternative<0>(r, v.body);
    case WireFormat::private_message: return decode_alternative<1>(r, v.body);
    case WireFormat::welcome: return decode_alternative<2>(r, v.body);
    case WireFormat::group_info: return decode_alternative<3>(r, v.body);
    case WireFormat::key_package: return decode_alternative<4>(r, v.body);
  }
  return unknown("wire format", static_cast<std::uint16_t>(wf));
}

}  // namespace gchat::mls
