// welcome and messages vectors.
#include "gchat/mls/key_schedule.hpp"
#include "gchat/mls/ratchet_tree.hpp"
#include "gchat/mls/welcome.hpp"
#include "runner.hpp"

namespace gchat::vectors {

using nlohmann::json;

namespace {

template <typename T>
void round_trip(const json& c, const char* key) {
  const Bytes encoded = hex(c, key);
  const auto decoded = must(codec::decode_exact<T>(encoded), std::string("decode ") + key);
  expect_equal(codec::encode(decoded), encoded, std::string(key) + " re-encoded");
}

}  // namespace

void check_welcome(const json& c) {
  const auto& suite = suite_of(c);
  const auto kp = message_body<mls::KeyPackage>(hex(c, "key_package"), "key_package");
  const auto welcome = message_body<mls::Welcome>(hex(c, "welcome"), "welcome");
  const auto secrets =
      must(mls::open_group_secrets(suite, welcome, mls::key_package_ref(suite, kp), hex(c, "init_priv")),
           "group secrets");
  expect(secrets.psks.empty(), "the vector's Welcome names PSKs");
  const Bytes zero(suite.hash_length(), 0);
  const auto ws = must(mls::welcome_secret(suite, secrets.joiner_secret, zero), "welcome secret");
  const auto info = must(mls::open_group_info(suite, welcome, ws), "group info");
  must(mls::verify_group_info(suite, info, hex(c, "signer_pub")), "group info signature");
  const auto epoch = must(mls::derive_epoch_from_joiner(suite, secrets.joiner_secret, zero,
                                                        codec::encode(info.group_context)),
                          "key schedule from the joiner secret");
  expect_equal(mls::confirmation_tag(suite, epoch.confirmation_key, info.group_context.confirmed_transcript_hash),
               info.confirmation_tag, "confirmation tag");
}

void check_messages(const json& c) {
  round_trip<mls::MlsMessage>(c, "mls_welcome");
  round_trip<mls::MlsMessage>(c, "mls_group_info");
  round_trip<mls::MlsMessage>(c, "mls_key_package");
  round_trip<std::vector<std::optional<mls::Node>>>(c, "ratchet_tree");
  round_trip<mls::GroupSecrets>(c, "group_secrets");
  round_trip<mls::Add>(c, "add_proposal");
  round_trip<mls::Update>(c, "update_proposal");
  round_trip<mls::Remove>(c, "remove_proposal");
  round_trip<mls::PreSharedKey>(c, "pre_shared_key_proposal");
  round_trip<mls::ReInit>(c, "re_init_proposal");
  round_trip<mls::ExternalInit>(c, "external_init_proposal");
  round_trip<mls::GroupContextExtensions>(c, "group_context_extensions_proposal");
  round_trip<mls::Commit>(c, "commit");
  round_trip<mls::MlsMessage>(c, "public_message_application");
  round_trip<mls::MlsMessage>(c, "public_message_proposal");
  round_trip<mls::MlsMessage>(c, "public_message_commit");
  round_trip<mls::MlsMessage>(c, "private_message");
}

}  // namespace gchat::vectors
