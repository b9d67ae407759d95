// The vector runner itself must be able to fail: a corrupted expected value is reported as a
// failure naming the field, unknown types and non-array files are errors, unsupported suites are
// skipped by name.
#include <doctest/doctest.h>

#include <cstring>
#include <fstream>
#include <stdexcept>

#include "gchat/mls/group.hpp"

#include "runner.hpp"

using namespace gchat;
using nlohmann::json;

namespace {

json load(const char* file) {
  std::ifstream in(std::string(GCHAT_MLS_VECTORS_DIR) + "/" + file);
  REQUIRE_MESSAGE(in.good(), "missing vector file " << file);
  return json::parse(in);
}

// Flips the last hex digit of a string field.
void corrupt(json& field) {
  auto s = field.get<std::string>();
  s.back() = s.back() == '0' ? '1' : '0';
  field = s;
}

}  // namespace

TEST_CASE("a corrupted expected value fails exactly its case") {
  struct Target {
    const char* type;
    const char* file;
    std::function<json&(json&)> field;
    const char* named;
  };
  const std::vector<Target> targets = {
      {"key-schedule", "key-schedule.json", [](json& c) -> json& { return c["epochs"][2]["membership_key"]; },
       "membership_key"},
      {"secret-tree", "secret-tree.json", [](json& c) -> json& { return c["leaves"][0][1]["application_nonce"]; },
       "application nonce"},
      {"crypto-basics", "crypto-basics.json", [](json& c) -> json& { return c["derive_secret"]["out"]; },
       "derive_secret"},
      {"psk_secret", "psk_secret.json", [](json& c) -> json& { return c["psk_secret"]; }, "psk_secret"},
      {"transcript-hashes", "transcript-hashes.json",
       [](json& c) -> json& { return c["interim_transcript_hash_after"]; }, "interim_transcript_hash_after"},
      {"message-protection", "message-protection.json", [](json& c) -> json& { return c["membership_key"]; },
       "proposal_pub verify"},
  };
  for (const auto& t : targets) {
    CAPTURE(t.type);
    json cases = load(t.file);
    auto clean = vectors::run(t.type, cases);
    REQUIRE(clean.ok());
    REQUIRE(clean->failed == 0);
    REQUIRE(clean->passed > 0);
    // The first case of suite 1 (always supported).
    std::size_t index = 0;
    while (cases[index].value("cipher_suite", 0) != 1) ++index;
    corrupt(t.field(cases[index]));
    auto report = vectors::run(t.type, cases);
    REQUIRE(report.ok());
    CHECK(report->failed == 1);
    CHECK(report->passed == clean->passed - 1);
    REQUIRE(report->failures.size() == 1);
    CHECK_MESSAGE(report->failures[0].find(t.named) != std::string::npos, report->failures[0]);
  }
}

TEST_CASE("tree-math: a wrong parent is reported") {
  json cases = load("tree-math.json");
  cases[3]["parent"][0] = 999;
  auto report = vectors::run("tree-math", cases);
  REQUIRE(report.ok());
  CHECK(report->failed == 1);
}

TEST_CASE("unknown types and malformed files are errors; unsupported suites are skipped by name") {
  CHECK(vectors::run("no-such-type", json::array()).error().code == Errc::invalid_argument);
  CHECK(vectors::run("tree-math", json::object()).error().code == Errc::malformed);
  json one = json::array({json{{"cipher_suite", 2}}});
  auto r = vectors::run("key-schedule", one);
  REQUIRE(r.ok());
  CHECK(r->passed == 0);
  CHECK(r->failed == 0);
  CHECK(r->skipped.count("MLS_128_DHKEMP256_AES128GCM_SHA256_P256") == 1);
  // A supported case with a missing field fails with the field's name instead of crashing.
  json missing = json::array({json{{"cipher_suite", 1}}});
  auto m = vectors::run("psk_secret", missing);
  REQUIRE(m.ok());
  CHECK(m->failed == 1);
}

TEST_CASE("a per-suite case that does not name its cipher suite fails instead of being skipped") {
  json cases = json::array({json{{"psk_secret", "00"}}, json{{"cipher_suite", "1"}}, json{{"cipher_suite", -1}},
                            json{{"cipher_suite", 2}}});
  auto r = vectors::run("psk_secret", cases);
  REQUIRE(r.ok());
  CHECK(r->passed == 0);
  CHECK(r->failed == 3);
  REQUIRE(r->failures.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(r->failures[i].rfind("case " + std::to_string(i) + ": ", 0) == 0);
    CHECK_MESSAGE(r->failures[i].find("cipher_suite") != std::string::npos, r->failures[i]);
  }
  CHECK(r->skipped.size() == 1);  // only the case of an unsupported suite is a skip
}

TEST_CASE("an unexpected exception of any type fails only its case, and the other cases still report") {
  const json cases = json::array({0, 1, 2, 3, 4});
  const vectors::CaseCheck check = [](const json& c) {
    switch (c.get<int>()) {
      case 1: throw 42;  // not an exception class at all
      case 2: throw std::runtime_error("out of cheese");
      case 3: vectors::expect(false, "plain failure");
    }
  };
  auto r = vectors::run_cases(check, false, cases);
  REQUIRE(r.ok());
  CHECK(r->passed == 2);
  CHECK(r->failed == 3);
  REQUIRE(r->failures.size() == 3);
  CHECK(r->failures[0].rfind("case 1: unexpected exception", 0) == 0);
  CHECK(r->failures[1] == "case 2: unexpected exception: out of cheese");
  CHECK(r->failures[2] == "case 3: plain failure");

  // The same through a real check: a field of the wrong type in one tree-math case.
  json tree = load("tree-math.json");
  tree[2]["n_leaves"] = "eight";
  auto t = vectors::run("tree-math", tree);
  REQUIRE(t.ok());
  CHECK(t->failed == 1);
  CHECK(t->passed == static_cast<int>(tree.size()) - 1);
  REQUIRE(t->failures.size() == 1);
  CHECK(t->failures[0].rfind("case 2: ", 0) == 0);
}

TEST_CASE("one case can be run alone by index, and each case is announced before it runs") {
  const json cases = load("tree-math.json");
  vectors::RunOptions only;
  only.only_case = 3;
  std::vector<std::size_t> started;
  only.on_case_start = [&](std::size_t i) { started.push_back(i); };
  auto r = vectors::run("tree-math", cases, only);
  REQUIRE(r.ok());
  CHECK(r->passed == 1);
  CHECK(r->failed == 0);
  CHECK(started == std::vector<std::size_t>{3});
  only.only_case = cases.size();
  auto past = vectors::run("tree-math", cases, only);
  REQUIRE_FALSE(past.ok());
  CHECK(past.error().code == Errc::invalid_argument);
}

// --- passive-client formats on a generated scenario (the official files run as ctests too) -----

namespace {

std::string hexs(BytesView b) { return to_hex(b); }

// A group of three that a passive client joins, then follows through an add, an update, proposals
// by reference (an Update and an external PSK) and a remove.
json generated_passive_scenario() {
  const auto& suite = **crypto::CipherSuite::from_id(crypto::kDefaultSuite);
  constexpr std::uint64_t now = 1'800'000'000;
  auto make_identity = [&](const char* name) {
    mls::Identity id;
    id.credential.identity.assign(name, name + std::strlen(name));
    id.signature = suite.generate_signature_key();
    return id;
  };
  auto alice_id = make_identity("alice"), bob_id = make_identity("bob"), carol_id = make_identity("carol"),
       passive_id = make_identity("passive");
  auto alice = *mls::Group::create(suite, Bytes{'p', 'c'}, alice_id);
  auto bob_kp = *mls::make_key_package(suite, bob_id, now - 1, now + 1000);
  auto passive_kp = *mls::make_key_package(suite, passive_id, now - 1, now + 1000);

  json c;
  c["cipher_suite"] = suite.id();
  c["external_psks"] = json::array();
  c["key_package"] = hexs(codec::encode(mls::MlsMessage{mls::ProtocolVersion::mls10, passive_kp.key_package}));
  c["signature_priv"] = hexs(passive_id.signature.private_key);
  c["encryption_priv"] = hexs(passive_kp.encryption_private_key);
  c["init_priv"] = hexs(passive_kp.init_private_key);
  c["ratchet_tree"] = nullptr;

  auto first = *alice.commit({bob_kp.key_package, passive_kp.key_package}, {}, now);
  c["welcome"] = hexs(codec::encode(*first.welcome));
  c["initial_epoch_authenticator"] = hexs(alice.epoch_authenticator());
  auto bob = *mls::Group::join(suite, std::get<mls::Welcome>(first.welcome->body), std::move(bob_kp), bob_id);

  json epochs = json::array();
  auto record = [&](const mls::CommitOutput& out) {
    epochs.push_back({{"proposals", json::array()},
                      {"commit", hexs(codec::encode(out.commit))},
                      {"epoch_authenticator", hexs(alice.epoch_authenticator())}});
  };
  auto carol_kp = *mls::make_key_package(suite, carol_id, now - 1, now + 1000);
  auto add = *alice.commit({carol_kp.key_package}, {}, now);
  REQUIRE(bob.process(add.commit).ok());
  record(add);
  auto update = *bob.commit({}, {}, now);
  REQUIRE(alice.process(update.commit).ok());
  epochs.push_back({{"proposals", json::array()},
                    {"commit", hexs(codec::encode(update.commit))},
                    {"epoch_authenticator", hexs(bob.epoch_authenticator())}});
  // Stand-alone proposals committed by reference: bob's Update and an external PSK that the
  // passive client gets from `external_psks`.
  const Bytes psk_id{'p', 's', 'k'};
  const SecretBytes psk(Bytes(32, 7));
  c["external_psks"] = json::array({{{"psk_id", hexs(psk_id)}, {"psk", hexs(psk)}}});
  alice.add_external_psk(psk_id, psk.clone());
  bob.add_external_psk(psk_id, psk.clone());
  auto bob_update = *bob.propose_update();
  REQUIRE(alice.process(bob_update).ok());
  auto psk_proposal = *alice.propose_external_psk(psk_id);
  REQUIRE(bob.process(psk_proposal).ok());
  auto by_reference = *alice.commit({}, {}, now);
  REQUIRE(bob.process(by_reference.commit).ok());
  epochs.push_back({{"proposals", {hexs(codec::encode(bob_update)), hexs(codec::encode(psk_proposal))}},
                    {"commit", hexs(codec::encode(by_reference.commit))},
                    {"epoch_authenticator", hexs(alice.epoch_authenticator())}});
  auto remove = *alice.commit({}, {bob.own_leaf()}, now);
  record(remove);
  c["epochs"] = epochs;
  return json::array({c});
}

}  // namespace

TEST_CASE("the passive-client formats run on generated scenarios, and a wrong authenticator fails") {
  for (const char* type : {"passive-client-handling-commit", "passive-client-random"}) {
    CAPTURE(type);
    auto cases = generated_passive_scenario();
    auto ok = vectors::run(type, cases);
    REQUIRE(ok.ok());
    CHECK(ok->passed == 1);
    CHECK(ok->failures.empty());
    for (const auto& f : ok->failures) MESSAGE(f);
    corrupt(cases[0]["epochs"][1]["epoch_authenticator"]);
    auto bad = vectors::run(type, cases);
    REQUIRE(bad.ok());
    CHECK(bad->failed == 1);
    REQUIRE(bad->failures.size() == 1);
    CHECK(bad->failures[0].find("epoch 1") != std::string::npos);
  }
}
