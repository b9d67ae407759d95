// secret-tree, key-schedule, psk_secret and transcript-hashes vectors.
#include "gchat/crypto/hpke.hpp"
#include "gchat/mls/framing.hpp"
#include "gchat/mls/key_schedule.hpp"
#include "gchat/mls/secret_tree.hpp"
#include "runner.hpp"

namespace gchat::vectors {

using nlohmann::json;

void check_secret_tree(const json& c) {
  const auto& suite = suite_of(c);
  {
    const auto& sd = c.at("sender_data");
    const Bytes secret = hex(sd, "sender_data_secret");
    const Bytes ciphertext = hex(sd, "ciphertext");
    expect_equal(must(mls::sender_data_key(suite, secret, ciphertext), "sender_data_key"), hex(sd, "key"),
                 "sender_data key");
    expect_equal(must(mls::sender_data_nonce(suite, secret, ciphertext), "sender_data_nonce"), hex(sd, "nonce"),
                 "sender_data nonce");
  }
  const auto& leaves = c.at("leaves");
  mls::SecretTree tree(suite, hex(c, "encryption_secret"), static_cast<std::uint32_t>(leaves.size()));
  for (std::uint32_t i = 0; i < leaves.size(); ++i) {
    for (const auto& g : leaves[i]) {
      const auto gen = g.at("generation").get<std::uint32_t>();
      const std::string at = "leaf " + std::to_string(i) + " generation " + std::to_string(gen) + ": ";
      auto hs = must(tree.get(i, mls::RatchetType::handshake, gen), at + "handshake");
      expect_equal(hs.key, hex(g, "handshake_key"), at + "handshake key");
      expect_equal(hs.nonce, hex(g, "handshake_nonce"), at + "handshake nonce");
      auto app = must(tree.get(i, mls::RatchetType::application, gen), at + "application");
      expect_equal(app.key, hex(g, "application_key"), at + "application key");
      expect_equal(app.nonce, hex(g, "application_nonce"), at + "application nonce");
    }
  }
}

void check_key_schedule(const json& c) {
  const auto& suite = suite_of(c);
  const Bytes group_id = hex(c, "group_id");
  SecretBytes init_secret(hex(c, "initial_init_secret"));
  const auto& epochs = c.at("epochs");
  for (std::uint64_t n = 0; n < epochs.size(); ++n) {
    const auto& e = epochs[n];
    const std::string at = "epoch " + std::to_string(n) + ": ";
    mls::GroupContext ctx;
    ctx.cipher_suite = suite.id();
    ctx.group_id = group_id;
    ctx.epoch = n;
    ctx.tree_hash = hex(e, "tree_hash");
    ctx.confirmed_transcript_hash = hex(e, "confirmed_transcript_hash");
    const Bytes ctx_bytes = codec::encode(ctx);
    expect_equal(ctx_bytes, hex(e, "group_context"), at + "group_context");

    auto s = must(mls::derive_epoch(suite, init_secret, hex(e, "commit_secret"), hex(e, "psk_secret"), ctx_bytes),
                  at + "key schedule");
    expect_equal(s.joiner_secret, hex(e, "joiner_secret"), at + "joiner_secret");
    expect_equal(s.welcome_secret, hex(e, "welcome_secret"), at + "welcome_secret");
    expect_equal(s.init_secret, hex(e, "init_secret"), at + "init_secret");
    expect_equal(s.sender_data_secret, hex(e, "sender_data_secret"), at + "sender_data_secret");
    expect_equal(s.encryption_secret, hex(e, "encryption_secret"), at + "encryption_secret");
    expect_equal(s.exporter_secret, hex(e, "exporter_secret"), at + "exporter_secret");
    expect_equal(s.epoch_authenticator, hex(e, "epoch_authenticator"), at + "epoch_authenticator");
    expect_equal(s.external_secret, hex(e, "external_secret"), at + "external_secret");
    expect_equal(s.confirmation_key, hex(e, "confirmation_key"), at + "confirmation_key");
    expect_equal(s.membership_key, hex(e, "membership_key"), at + "membership_key");
    expect_equal(s.resumption_psk, hex(e, "resumption_psk"), at + "resumption_psk");

    // A joiner who learns only joiner_secret reaches the same epoch.
    auto joined = must(mls::derive_epoch_from_joiner(suite, s.joiner_secret, hex(e, "psk_secret"), ctx_bytes),
                       at + "joiner key schedule");
    expect_equal(joined.epoch_authenticator, s.epoch_authenticator, at + "joiner epoch_authenticator");

    auto external = must(suite.hpke().derive_key_pair(s.external_secret), at + "external key pair");
    expect_equal(external.public_key, hex(e, "external_pub"), at + "external_pub");

    const auto& ex = e.at("exporter");
    auto exported = must(mls::mls_exporter(suite, s.exporter_secret, ex.at("label").get<std::string>(),
                                           hex(ex, "context"), ex.at("length").get<std::uint16_t>()),
                         at + "exporter");
    expect_equal(exported, hex(ex, "secret"), at + "exporter secret");
    init_secret = std::move(s.init_secret);
  }
}

void check_psk_secret(const json& c) {
  const auto& suite = suite_of(c);
  std::vector<Bytes> keys;
  std::vector<mls::PskInput> inputs;
  const auto& psks = c.at("psks");
  keys.reserve(psks.size());
  for (const auto& p : psks) {
    mls::PreSharedKeyId id;
    id.psktype = mls::PskType::external;
    id.psk_id = hex(p, "psk_id");
    id.psk_nonce = hex(p, "psk_nonce");
    keys.push_back(hex(p, "psk"));
    inputs.push_back({std::move(id), keys.back()});
  }
  expect_equal(must(mls::psk_secret(suite, inputs), "psk_secret"), hex(c, "psk_secret"), "psk_secret");
}

void check_transcript_hashes(const json& c) {
  const auto& suite = suite_of(c);
  // AuthenticatedContent { WireFormat wire_format; FramedContent content; FramedContentAuthData auth; }
  const Bytes encoded = hex(c, "authenticated_content");
  codec::Reader r(encoded);
  mls::WireFormat wire_format{};
  must(codec::decode_value(r, wire_format), "AuthenticatedContent.wire_format");
  mls::FramedContent content;
  must(codec::decode_value(r, content), "AuthenticatedContent.content");
  expect(content.content_type() == mls::ContentType::commit, "the content is not a commit");
  mls::FramedContentAuthData auth;
  must(mls::decode_auth(r, content.content_type(), auth), "AuthenticatedContent.auth");
  must(r.finish(), "AuthenticatedContent");

  const Bytes confirmed =
      mls::confirmed_transcript_hash(suite, hex(c, "interim_transcript_hash_before"), wire_format, content, auth.signature);
  expect_equal(confirmed, hex(c, "confirmed_transcript_hash_after"), "confirmed_transcript_hash_after");
  expect_equal(mls::confirmation_tag(suite, hex(c, "confirmation_key"), confirmed), auth.confirmation_tag,
               "confirmation_tag");
  expect_equal(mls::interim_transcript_hash(suite, confirmed, auth.confirmation_tag),
               hex(c, "interim_transcript_hash_after"), "interim_transcript_hash_after");
}

}  // namespace gchat::vectors
