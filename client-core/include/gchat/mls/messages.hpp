#pragma once
// The wire structures of RFC 9420 that framing, the key schedule and (in part 2) the tree and
// group operations exchange, with their TLS-presentation encodings. Plain structs list their
// fields once (GCHAT_TLS_FIELDS); structs with a `select` body have hand-written tls_encode /
// tls_decode beside them in messages.cpp. Every decoder is bounded by its input and rejects
// unknown selectors with Errc::invalid_value, since an unknown variant cannot be skipped (it
// carries no length).

#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "gchat/base/bytes.hpp"
#include "gchat/base/result.hpp"
#include "gchat/codec/tls.hpp"

namespace gchat::mls {

using codec::Reader;
using codec::Writer;

enum class ProtocolVersion : std::uint16_t { mls10 = 1 };
enum class ContentType : std::uint8_t { application = 1, proposal = 2, commit = 3 };
enum class SenderType : std::uint8_t { member = 1, external = 2, new_member_proposal = 3, new_member_commit = 4 };
enum class WireFormat : std::uint16_t {
  public_message = 1,
  private_message = 2,
  welcome = 3,
  group_info = 4,
  key_package = 5,
};
// gchat (0xF0A1, from the private-use range of §17.1): opaque<V> holding a serialized
// gchat.identity.v1.Chain (root -> agency -> administrator -> user -> device), checked by the
// identity layer's credential validator.
enum class CredentialType : std::uint16_t { basic = 1, x509 = 2, gchat = 0xF0A1 };
enum class LeafNodeSource : std::uint8_t { key_package = 1, update = 2, commit = 3 };
enum class ProposalType : std::uint16_t {
  add = 1,
  update = 2,
  remove = 3,
  psk = 4,
  reinit = 5,
  external_init = 6,
  group_context_extensions = 7,
};
enum class PskType : std::uint8_t { external = 1, resumption = 2 };
enum class ResumptionPskUsage : std::uint8_t { application = 1, reinit = 2, branch = 3 };

struct Extension {
  std::uint16_t extension_type = 0;
  Bytes extension_data;
  GCHAT_TLS_FIELDS(extension_type, extension_data)
};

// Extension types of §13.4 (the "default" ones every client implements).
namespace extension_type {
constexpr std::uint16_t application_id = 1;
constexpr std::uint16_t ratchet_tree = 2;
constexpr std::uint16_t required_capabilities = 3;
constexpr std::uint16_t external_pub = 4;
constexpr std::uint16_t external_senders = 5;
constexpr bool is_default(std::uint16_t t) noexcept { return t >= application_id && t <= external_senders; }
}  // namespace extension_type

struct Certificate {
  Bytes cert_data;
  GCHAT_TLS_FIELDS(cert_data)
};

// §5.3: basic carries an identity; x509 a chain; gchat a G-Chat certificate chain. Other types are
// refused when decoded.
struct Credential {
  CredentialType credential_type = CredentialType::basic;
  Bytes identity;                         // basic: the identity; gchat: the serialized chain
  std::vector<Certificate> certificates;  // x509
};
void tls_encode(Writer& w, const Credential& v);
Status tls_decode(Reader& r, Credential& v);

struct Capabilities {
  std::vector<std::uint16_t> versions;
  std::vector<std::uint16_t> cipher_suites;
  std::vector<std::uint16_t> extensions;
  std::vector<std::uint16_t> proposals;
  std::vector<std::uint16_t> credentials;
  GCHAT_TLS_FIELDS(versions, cipher_suites, extensions, proposals, credentials)
};

// §11.1: the GroupContext extension naming what every member must support (default extension
// and proposal types are implied).
struct RequiredCapabilities {
  std::vector<std::uint16_t> extension_types;
  std::vector<std::uint16_t> proposal_types;
  std::vector<std::uint16_t> credential_types;
  GCHAT_TLS_FIELDS(extension_types, proposal_types, credential_types)
};

// §12.1.8.1: a party outside the group allowed to send proposals (the relay, for Removes).
struct ExternalSender {
  Bytes signature_key;
  Credential credential;
  GCHAT_TLS_FIELDS(signature_key, credential)
};

struct Lifetime {
  std::uint64_t not_before = 0;
  std::uint64_t not_after = 0;
  GCHAT_TLS_FIELDS(not_before, not_after)
};

struct LeafNode {
  Bytes encryption_key;
  Bytes signature_key;
  Credential credential;
  Capabilities capabilities;
  LeafNodeSource leaf_node_source = LeafNodeSource::key_package;
  Lifetime lifetime;  // key_package
  Bytes parent_hash;  // commit
  std::vector<Extension> extensions;
  Bytes signature;
};
void tls_encode(Writer& w, const LeafNode& v);
Status tls_decode(Reader& r, LeafNode& v);
// Every field but the signature: the start of LeafNodeTBS (§7.2).
void encode_leaf_node_content(Writer& w, const LeafNode& v);

struct KeyPackage {
  ProtocolVersion version = ProtocolVersion::mls10;
  std::uint16_t cipher_suite = 0;
  Bytes init_key;
  LeafNode leaf_node;
  std::vector<Extension> extensions;
  Bytes signature;
  GCHAT_TLS_FIELDS(version, cipher_suite, init_key, leaf_node, extensions, signature)
};

struct HpkeCiphertextWire {
  Bytes kem_output;
  Bytes ciphertext;
  GCHAT_TLS_FIELDS(kem_output, ciphertext)
};

struct UpdatePathNode {
  Bytes encryption_key;
  std::vector<HpkeCiphertextWire> encrypted_path_secret;
  GCHAT_TLS_FIELDS(encryption_key, encrypted_path_secret)
};

struct UpdatePath {
  LeafNode leaf_node;
  std::vector<UpdatePathNode> nodes;
  GCHAT_TLS_FIELDS(leaf_node, nodes)
};

// §8.4
struct PreSharedKeyId {
  PskType psktype = PskType::external;
  Bytes psk_id;                                                   // external
  ResumptionPskUsage usage = ResumptionPskUsage::application;    // resumption
  Bytes psk_group_id;                                             // resumption
  std::uint64_t psk_epoch = 0;                                    // resumption
  Bytes psk_nonce;
};
void tls_encode(Writer& w, const PreSharedKeyId& v);
Status tls_decode(Reader& r, PreSharedKeyId& v);

struct Add {
  KeyPackage key_package;
  GCHAT_TLS_FIELDS(key_package)
};
struct Update {
  LeafNode leaf_node;
  GCHAT_TLS_FIELDS(leaf_node)
};
struct Remove {
  std::uint32_t removed = 0;
  GCHAT_TLS_FIELDS(removed)
};
struct PreSharedKey {
  PreSharedKeyId psk;
  GCHAT_TLS_FIELDS(psk)
};
struct ReInit {
  Bytes group_id;
  ProtocolVersion version = ProtocolVersion::mls10;
  std::uint16_t cipher_suite = 0;
  std::vector<Extension> extensions;
  GCHAT_TLS_FIELDS(group_id, version, cipher_suite, extensions)
};
struct ExternalInit {
  Bytes kem_output;
  GCHAT_TLS_FIELDS(kem_output)
};
struct GroupContextExtensions {
  std::vector<Extension> extensions;
  GCHAT_TLS_FIELDS(extensions)
};

struct Proposal {
  std::variant<Add, Update, Remove, PreSharedKey, ReInit, ExternalInit, GroupContextExtensions> body;
  ProposalType type() const noexcept { return static_cast<ProposalType>(body.index() + 1); }
};
void tls_encode(Writer& w, const Proposal& v);
Status tls_decode(Reader& r, Proposal& v);

// §12.4: a proposal by value or by reference (ProposalRef = RefHash("MLS 1.0 Proposal Reference", ...)).
struct ProposalOrRef {
  std::variant<Proposal, Bytes> value;
};
void tls_encode(Writer& w, const ProposalOrRef& v);
Status tls_decode(Reader& r, ProposalOrRef& v);

struct Commit {
  std::vector<ProposalOrRef> proposals;
  std::optional<UpdatePath> path;
};
void tls_encode(Writer& w, const Commit& v);
Status tls_decode(Reader& r, Commit& v);

struct Sender {
  SenderType sender_type = SenderType::member;
  std::uint32_t index = 0;  // leaf_index (member) or sender_index (external)
  bool operator==(const Sender&) const = default;
};
void tls_encode(Writer& w, const Sender& v);
Status tls_decode(Reader& r, Sender& v);

// §6: the content of a message; its body follows content_type.
struct FramedContent {
  Bytes group_id;
  std::uint64_t epoch = 0;
  Sender sender;
  Bytes authenticated_data;
  std::variant<Bytes, Proposal, Commit> body;  // application_data, proposal, commit
  ContentType content_type() const noexcept { return static_cast<ContentType>(body.index() + 1); }
};
void tls_encode(Writer& w, const FramedContent& v);
Status tls_decode(Reader& r, FramedContent& v);
// The body alone, as it appears in a PrivateMessageContent.
void encode_body(Writer& w, const FramedContent& v);
Status decode_body(Reader& r, ContentType type, FramedContent& v);

// §6.1: signature, and a confirmation tag for commits only.
struct FramedContentAuthData {
  Bytes signature;
  Bytes confirmation_tag;  // commits only
};
void encode_auth(Writer& w, const FramedContentAuthData& v, ContentType type);
Status decode_auth(Reader& r, ContentType type, FramedContentAuthData& v);

struct GroupContext {
  ProtocolVersion version = ProtocolVersion::mls10;
  std::uint16_t cipher_suite = 0;
  Bytes group_id;
  std::uint64_t epoch = 0;
  Bytes tree_hash;
  Bytes confirmed_transcript_hash;
  std::vector<Extension> extensions;
  GCHAT_TLS_FIELDS(version, cipher_suite, group_id, epoch, tree_hash, confirmed_transcript_hash, extensions)
};

// §6.2
struct PublicMessage {
  FramedContent content;
  FramedContentAuthData auth;
  Bytes membership_tag;  // member senders only
};
void tls_encode(Writer& w, const PublicMessage& v);
Status tls_decode(Reader& r, PublicMessage& v);

// §6.3
struct PrivateMessage {
  Bytes group_id;
  std::uint64_t epoch = 0;
  ContentType content_type = ContentType::application;
  Bytes authenticated_data;
  Bytes encrypted_sender_data;
  Bytes ciphertext;
  GCHAT_TLS_FIELDS(group_id, epoch, content_type, authenticated_data, encrypted_sender_data, ciphertext)
};

// §12.4.3
struct EncryptedGroupSecrets {
  Bytes new_member;  // KeyPackageRef
  HpkeCiphertextWire encrypted_group_secrets;
  GCHAT_TLS_FIELDS(new_member, encrypted_group_secrets)
};
struct Welcome {
  std::uint16_t cipher_suite = 0;
  std::vector<EncryptedGroupSecrets> secrets;
  Bytes encrypted_group_info;
  GCHAT_TLS_FIELDS(cipher_suite, secrets, encrypted_group_info)
};
struct GroupInfo {
  GroupContext group_context;
  std::vector<Extension> extensions;
  Bytes confirmation_tag;
  std::uint32_t signer = 0;
  Bytes signature;
  GCHAT_TLS_FIELDS(group_context, extensions, confirmation_tag, signer, signature)
};

// §6: the outermost envelope.
struct MlsMessage {
  ProtocolVersion version = ProtocolVersion::mls10;
  std::variant<PublicMessage, PrivateMessage, Welcome, GroupInfo, KeyPackage> body;
  WireFormat wire_format() const noexcept { return static_cast<WireFormat>(body.index() + 1); }
};
void tls_encode(Writer& w, const MlsMessage& v);
Status tls_decode(Reader& r, MlsMessage& v);

// Structural equality through the canonical encoding (for the hand-written structs).
template <typename T>
bool same_encoding(const T& a, const T& b) {
  return codec::encode(a) == codec::encode(b);
}

}  // namespace gchat::mls
