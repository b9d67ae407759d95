// message-protection vectors: PublicMessage and PrivateMessage, both directions.
#include "gchat/mls/framing.hpp"
#include "gchat/mls/key_schedule.hpp"
#include "runner.hpp"

namespace gchat::vectors {

using nlohmann::json;

namespace {

constexpr mls::LeafIndex kSender = 1;  // test-vectors.md: the member at leaf 1 sends everything

template <typename Body>
Body decode_body(const Bytes& encoded, const std::string& what) {
  return must(codec::decode_exact<Body>(encoded), what);
}

template <typename Body>
Bytes body_encoding(const mls::FramedContent& content) {
  const auto* body = std::get_if<Body>(&content.body);
  expect(body != nullptr, "the message carries another content type");
  return codec::encode(*body);
}

struct Fixture {
  const crypto::CipherSuite* suite;
  mls::GroupContext context;
  Bytes signature_priv, signature_pub, encryption_secret, sender_data_secret, membership_key;

  mls::SecretTree fresh_tree() const { return mls::SecretTree(*suite, encryption_secret, 2); }
  mls::SignatureKeyLookup lookup() const {
    return [pub = signature_pub](mls::LeafIndex leaf) -> Result<Bytes> {
      if (leaf != kSender) return fail(Errc::mls_invalid_sender, "no member at that leaf");
      return pub;
    };
  }
  mls::FramedContent content_with(auto body) const {
    mls::FramedContent c;
    c.group_id = context.group_id;
    c.epoch = context.epoch;
    c.sender = mls::Sender{mls::SenderType::member, kSender};
    c.authenticated_data = {0x67, 0x63, 0x68, 0x61, 0x74};
    c.body = std::move(body);
    return c;
  }
};

// The given PrivateMessage decrypts to `raw`; our own PrivateMessage of `raw` round-trips.
template <typename Body>
void check_private(const Fixture& f, const Bytes& given, const Body& raw, const std::string& name,
                   BytesView confirmation_tag) {
  const auto expected = codec::encode(raw);
  {
    auto tree = f.fresh_tree();
    auto pm = message_body<mls::PrivateMessage>(given, name + "_priv");
    auto out = must(mls::unprotect_private(*f.suite, f.context, tree, f.sender_data_secret, pm, f.lookup()),
                    name + "_priv unprotect");
    expect_equal(body_encoding<Body>(out.content), expected, name + "_priv content");
  }
  auto sender_tree = f.fresh_tree();
  auto receiver_tree = f.fresh_tree();
  auto own = must(mls::protect_private(*f.suite, f.context, sender_tree, f.sender_data_secret, f.content_with(raw),
                                       f.signature_priv, confirmation_tag, 16),
                  name + " protect_private");
  const Bytes wire = codec::encode(mls::MlsMessage{mls::ProtocolVersion::mls10, own});
  auto back = message_body<mls::PrivateMessage>(wire, name + " own PrivateMessage");
  auto out = must(mls::unprotect_private(*f.suite, f.context, receiver_tree, f.sender_data_secret, back, f.lookup()),
                  name + " own PrivateMessage unprotect");
  expect_equal(body_encoding<Body>(out.content), expected, name + " own PrivateMessage content");
}

template <typename Body>
void check_public(const Fixture& f, const Bytes& given, const Body& raw, const std::string& name,
                  BytesView confirmation_tag) {
  const auto expected = codec::encode(raw);
  auto pub = message_body<mls::PublicMessage>(given, name + "_pub");
  must(mls::verify_public(*f.suite, f.context, f.membership_key, pub, f.signature_pub), name + "_pub verify");
  expect_equal(body_encoding<Body>(pub.content), expected, name + "_pub content");

  auto own = must(mls::protect_public(*f.suite, f.context, f.membership_key, f.content_with(raw), f.signature_priv,
                                      confirmation_tag),
                  name + " protect_public");
  const Bytes wire = codec::encode(mls::MlsMessage{mls::ProtocolVersion::mls10, own});
  auto back = message_body<mls::PublicMessage>(wire, name + " own PublicMessage");
  must(mls::verify_public(*f.suite, f.context, f.membership_key, back, f.signature_pub), name + " own PublicMessage verify");
  expect_equal(body_encoding<Body>(back.content), expected, name + " own PublicMessage content");
}

}  // namespace

void check_message_protection(const json& c) {
  Fixture f;
  f.suite = &suite_of(c);
  f.context.cipher_suite = f.suite->id();
  f.context.group_id = hex(c, "group_id");
  f.context.epoch = c.at("epoch").get<std::uint64_t>();
  f.context.tree_hash = hex(c, "tree_hash");
  f.context.confirmed_transcript_hash = hex(c, "confirmed_transcript_hash");
  f.signature_priv = hex(c, "signature_priv");
  f.signature_pub = hex(c, "signature_pub");
  f.encryption_secret = hex(c, "encryption_secret");
  f.sender_data_secret = hex(c, "sender_data_secret");
  f.membership_key = hex(c, "membership_key");
  // Any MAC-sized value serves as our own commits' confirmation tag: nothing here checks it.
  const Bytes tag = f.suite->mac(f.membership_key, f.context.confirmed_transcript_hash);

  const auto proposal = decode_body<mls::Proposal>(hex(c, "proposal"), "proposal");
  check_public(f, hex(c, "proposal_pub"), proposal, "proposal", {});
  check_private(f, hex(c, "proposal_priv"), proposal, "proposal", {});

  const auto commit = decode_body<mls::Commit>(hex(c, "commit"), "commit");
  check_public(f, hex(c, "commit_pub"), commit, "commit", tag);
  check_private(f, hex(c, "commit_priv"), commit, "commit", tag);

  const Bytes application = hex(c, "application");
  auto refused = mls::protect_public(*f.suite, f.context, f.membership_key, f.content_with(application),
                                     f.signature_priv);
  expect(!refused.ok() && refused.error().code == Errc::mls_invalid_message,
         "application data was accepted as a PublicMessage");
  check_private(f, hex(c, "application_priv"), application, "application", {});
}

}  // namespace gchat::vectors
