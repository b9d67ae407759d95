// passive-client-welcome (and the documented passive-client-handling-commit and
// passive-client-random formats, which share it): join by Welcome, then follow the epochs.
#include "gchat/crypto/hpke.hpp"
#include "gchat/mls/group.hpp"
#include "runner.hpp"

namespace gchat::vectors {

using nlohmann::json;

void check_passive_client(const json& c) {
  const auto& suite = suite_of(c);
  auto kp_message = must(codec::decode_exact<mls::MlsMessage>(hex(c, "key_package")), "key_package");
  auto* kp = std::get_if<mls::KeyPackage>(&kp_message.body);
  expect(kp != nullptr, "key_package is not a KeyPackage");

  mls::KeyPackageBundle bundle;
  bundle.key_package = *kp;
  bundle.init_private_key = SecretBytes(hex(c, "init_priv"));
  bundle.encryption_private_key = SecretBytes(hex(c, "encryption_priv"));
  expect_equal(must(suite.hpke().public_key_from_private(bundle.init_private_key), "init key"), kp->init_key,
               "init_priv does not match init_key");
  expect_equal(must(suite.hpke().public_key_from_private(bundle.encryption_private_key), "encryption key"),
               kp->leaf_node.encryption_key, "encryption_priv does not match encryption_key");
  mls::Identity id;
  id.credential = kp->leaf_node.credential;
  id.signature = must(suite.signature_key_from_private(hex(c, "signature_priv")), "signature key");
  expect_equal(id.signature.public_key, kp->leaf_node.signature_key, "signature_priv does not match signature_key");

  std::vector<mls::ExternalPsk> psks;
  for (const auto& p : c.at("external_psks")) psks.push_back({hex(p, "psk_id"), SecretBytes(hex(p, "psk"))});
  mls::JoinOptions options;
  options.external_psks = &psks;
  if (!c.at("ratchet_tree").is_null()) options.ratchet_tree = hex(c, "ratchet_tree");

  auto welcome_message = must(codec::decode_exact<mls::MlsMessage>(hex(c, "welcome")), "welcome");
  auto* welcome = std::get_if<mls::Welcome>(&welcome_message.body);
  expect(welcome != nullptr, "welcome is not a Welcome");
  auto group = must(mls::Group::join(suite, *welcome, std::move(bundle), id, options), "join");
  expect_equal(group.epoch_authenticator(), hex(c, "initial_epoch_authenticator"), "initial epoch authenticator");
  for (const auto& p : psks) group.add_external_psk(p.id, p.secret.clone());

  std::size_t n = 0;
  for (const auto& e : c.at("epochs")) {
    const std::string at = "epoch " + std::to_string(n++) + ": ";
    for (const auto& p : e.at("proposals")) {
      const auto proposal = must(codec::decode_exact<mls::MlsMessage>(hex(p)), at + "proposal");
      must(group.process(proposal), at + "process proposal");
    }
    const auto commit = must(codec::decode_exact<mls::MlsMessage>(hex(e, "commit")), at + "commit");
    must(group.process(commit), at + "process commit");
    expect_equal(group.epoch_authenticator(), hex(e, "epoch_authenticator"), at + "epoch authenticator");
  }
}

}  // namespace gchat::vectors
