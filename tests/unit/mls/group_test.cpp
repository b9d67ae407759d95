// Groups under random adds, removes and key updates: every member ends each epoch with the same
// epoch authenticator and tree hash; application messages open for every current member and for
// no removed one. Every message crosses the wire encoding.
#include <doctest/doctest.h>

#include <map>
#include <random>

#include "gchat/mls/group.hpp"

using namespace gchat;
using namespace gchat::mls;

namespace {

constexpr std::uint64_t kNow = 1'800'000'000;

const crypto::CipherSuite& suite() { return **crypto::CipherSuite::from_id(crypto::kDefaultSuite); }

Identity identity(int n) {
  Identity id;
  const std::string name = "user-" + std::to_string(n);
  id.credential.identity.assign(name.begin(), name.end());
  id.signature = suite().generate_signature_key();
  return id;
}

MlsMessage wire(const MlsMessage& m) {
  auto back = codec::decode_exact<MlsMessage>(codec::encode(m));
  REQUIRE(back.ok());
  return std::move(*back);
}

struct Simulation {
  std::mt19937 rng;
  std::map<int, Identity> identities;
  std::map<int, Group> active;
  std::map<int, Group> removed;  // state frozen just before the commit that removed them
  int next_id = 0;

  explicit Simulation(std::uint32_t seed) : rng(seed) {
    identities.emplace(next_id, identity(next_id));
    auto g = Group::create(suite(), Bytes{'g', 'r', 'p'}, identities.at(next_id));
    REQUIRE(g.ok());
    active.emplace(next_id++, std::move(*g));
  }

  int random_member() {
    auto it = active.begin();
    std::advance(it, static_cast<long>(rng() % active.size()));
    return it->first;
  }

  LeafIndex leaf_of(int who) { return active.at(who).own_leaf(); }

  // Delivers a commit to everyone but the committer; joins the new members from the Welcome.
  void deliver(int committer, const CommitOutput& out, const std::vector<std::pair<int, KeyPackageBundle>>& joiners,
               std::vector<int> to_remove) {
    const auto commit = wire(out.commit);
    for (int who : to_remove) {
      removed.insert_or_assign(who, std::move(active.at(who)));
      active.erase(who);
    }
    for (auto& [who, g] : active) {
      if (who == committer) continue;
      auto r = g.process(commit);
      REQUIRE_MESSAGE(r.ok(), "member " << who << ": " << r.error().to_string());
      CHECK(r->kind == Received::Kind::commit);
      CHECK(r->sender == active.at(committer).own_leaf());
    }
    if (!joiners.empty()) {
      REQUIRE(out.welcome);
      const auto welcome_message = wire(*out.welcome);
      const auto& w = std::get<Welcome>(welcome_message.body);
      for (auto& [who, bundle] : const_cast<std::vector<std::pair<int, KeyPackageBundle>>&>(joiners)) {
        auto g = Group::join(suite(), w, std::move(bundle), identities.at(who));
        REQUIRE_MESSAGE(g.ok(), "joiner " << who << ": " << g.error().to_string());
        active.emplace(who, std::move(*g));
      }
    }
  }

  void step(std::size_t max_members) {
    const int committer = random_member();
    const auto op = rng() % 6;  // adds three times as likely as removes, so groups grow
    if (op == 5 && active.size() > 3) return proposals_then_commit(committer, max_members);
    if (op <= 2 && active.size() < max_members) {
      const auto count = std::min<std::size_t>(1 + rng() % 3, max_members - active.size());
      std::vector<std::pair<int, KeyPackageBundle>> joiners;
      std::vector<KeyPackage> kps;
      for (std::size_t i = 0; i < count; ++i) {
        identities.emplace(next_id, identity(next_id));
        auto b = make_key_package(suite(), identities.at(next_id), kNow - 10, kNow + 1000);
        REQUIRE(b.ok());
        kps.push_back(b->key_package);
        joiners.emplace_back(next_id++, std::move(*b));
      }
      auto out = active.at(committer).commit(kps, {}, kNow);
      REQUIRE_MESSAGE(out.ok(), out.error().to_string());
      deliver(committer, *out, joiners, {});
    } else if (op == 3 && active.size() > 2) {
      std::vector<int> victims;
      std::vector<LeafIndex> leaves;
      const auto count = 1 + rng() % std::min<std::size_t>(2, active.size() - 2);
      while (victims.size() < count) {
        const int v = random_member();
        if (v == committer || std::find(victims.begin(), victims.end(), v) != victims.end()) continue;
        victims.push_back(v);
        leaves.push_back(leaf_of(v));
      }
      auto out = active.at(committer).commit({}, leaves, kNow);
      REQUIRE_MESSAGE(out.ok(), out.error().to_string());
      deliver(committer, *out, {}, victims);
    } else {
      auto out = active.at(committer).commit({}, {}, kNow);
      REQUIRE_MESSAGE(out.ok(), out.error().to_string());
      deliver(committer, *out, {}, {});
    }
  }

  // Members propose (updates, a remove, maybe an add); everybody sees the proposals; then one
  // member commits them all by reference.
  void proposals_then_commit(int committer, std::size_t max_members) {
    std::vector<MlsMessage> proposals;
    std::vector<std::pair<int, KeyPackageBundle>> joiners;
    int victim = committer;
    while (victim == committer) victim = random_member();
    for (int i = 0; i < 2; ++i) {
      const int who = random_member();
      if (who == victim) continue;
      auto m = active.at(who).propose_update();
      REQUIRE_MESSAGE(m.ok(), m.error().to_string());
      proposals.push_back(*m);
      deliver_proposal(who, *m);
    }
    {
      const int who = random_member();
      auto m = active.at(who).propose_remove(leaf_of(victim));
      REQUIRE(m.ok());
      deliver_proposal(who, *m);
    }
    if (active.size() < max_members) {
      identities.emplace(next_id, identity(next_id));
      auto b = make_key_package(suite(), identities.at(next_id), kNow - 10, kNow + 1000);
      REQUIRE(b.ok());
      const int who = random_member();
      auto m = active.at(who).propose_add(b->key_package, kNow);
      REQUIRE(m.ok());
      deliver_proposal(who, *m);
      joiners.emplace_back(next_id++, std::move(*b));
    }
    auto out = active.at(committer).commit({}, {}, kNow);
    REQUIRE_MESSAGE(out.ok(), out.error().to_string());
    deliver(committer, *out, joiners, {victim});
  }

  void deliver_proposal(int proposer, const MlsMessage& m) {
    const auto msg = wire(m);
    for (auto& [who, g] : active) {
      if (who == proposer) continue;
      auto r = g.process(msg);
      REQUIRE_MESSAGE(r.ok(), "member " << who << ": " << r.error().to_string());
      CHECK(r->kind == Received::Kind::proposal);
    }
  }

  void check_agreement() {
    const Group& first = active.begin()->second;
    for (const auto& [who, g] : active) {
      CHECK(g.epoch() == first.epoch());
      CHECK(Bytes(g.epoch_authenticator().begin(), g.epoch_authenticator().end()) ==
            Bytes(first.epoch_authenticator().begin(), first.epoch_authenticator().end()));
      CHECK(g.tree().tree_hash() == first.tree().tree_hash());
      CHECK(g.members().size() == active.size());
    }
  }

  void check_application_message() {
    const int sender = random_member();
    const std::string text = "ข้อความ " + std::to_string(rng());
    auto m = active.at(sender).protect(as_bytes(text));
    REQUIRE(m.ok());
    const auto msg = wire(*m);
    for (auto& [who, g] : active) {
      if (who == sender) continue;
      auto r = g.process(msg);
      REQUIRE_MESSAGE(r.ok(), "member " << who << ": " << r.error().to_string());
      CHECK(r->kind == Received::Kind::application);
      CHECK(std::string(r->application_data.begin(), r->application_data.end()) == text);
    }
    for (auto& [who, g] : removed) CHECK_FALSE(g.process(msg).ok());
  }
};

}  // namespace

TEST_CASE("three members: add, message, update, remove") {
  Simulation sim(1);
  std::vector<std::pair<int, KeyPackageBundle>> joiners;
  std::vector<KeyPackage> kps;
  for (int i = 0; i < 2; ++i) {
    sim.identities.emplace(sim.next_id, identity(sim.next_id));
    auto b = make_key_package(suite(), sim.identities.at(sim.next_id), kNow - 10, kNow + 1000);
    REQUIRE(b.ok());
    kps.push_back(b->key_package);
    joiners.emplace_back(sim.next_id++, std::move(*b));
  }
  auto out = sim.active.at(0).commit(kps, {}, kNow);
  REQUIRE(out.ok());
  sim.deliver(0, *out, joiners, {});
  sim.check_agreement();
  sim.check_application_message();
  auto update = sim.active.at(1).commit({}, {}, kNow);
  REQUIRE(update.ok());
  sim.deliver(1, *update, {}, {});
  sim.check_agreement();
  auto rm = sim.active.at(2).commit({}, {sim.leaf_of(0)}, kNow);
  REQUIRE(rm.ok());
  sim.deliver(2, *rm, {}, {0});
  sim.check_agreement();
  sim.check_application_message();
  CHECK(sim.active.size() == 2);
  auto exported = sim.active.at(1).export_secret("gchat test", {}, 32);
  auto exported2 = sim.active.at(2).export_secret("gchat test", {}, 32);
  REQUIRE((exported.ok() && exported2.ok()));
  CHECK(*exported == *exported2);
}

TEST_CASE("random adds, removes and updates, up to 50 members: agreement and no reading after removal") {
  for (std::uint32_t seed : {7u, 8u}) {
    CAPTURE(seed);
    Simulation sim(seed);
    std::size_t largest = 0;
    for (int i = 0; i < 90; ++i) {
      sim.step(50);
      sim.check_agreement();
      largest = std::max(largest, sim.active.size());
      if (i % 4 == 3) sim.check_application_message();
    }
    MESSAGE("seed " << seed << ": largest group " << largest << ", " << sim.removed.size() << " removed, epoch "
                    << sim.active.begin()->second.epoch());
    CHECK(largest >= 40);
    CHECK_FALSE(sim.removed.empty());
  }
}

TEST_CASE("a commit is refused when tampered with, and the state does not move") {
  Simulation sim(3);
  std::vector<std::pair<int, KeyPackageBundle>> joiners;
  sim.identities.emplace(1, identity(1));
  auto b = make_key_package(suite(), sim.identities.at(1), kNow - 10, kNow + 1000);
  REQUIRE(b.ok());
  auto kp = b->key_package;
  joiners.emplace_back(1, std::move(*b));
  sim.next_id = 2;
  auto out = sim.active.at(0).commit({kp}, {}, kNow);
  REQUIRE(out.ok());
  sim.deliver(0, *out, joiners, {});
  auto update = sim.active.at(0).commit({}, {}, kNow);
  REQUIRE(update.ok());
  auto& bob = sim.active.at(1);
  const auto epoch = bob.epoch();
  {
    auto bad = update->commit;
    std::get<PublicMessage>(bad.body).auth.confirmation_tag[0] ^= 1;
    auto r = bob.process(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::mls_bad_membership_tag);  // the tag is covered by the membership tag
  }
  {
    auto bad = update->commit;
    auto& path = *std::get<Commit>(std::get<PublicMessage>(bad.body).content.body).path;
    path.nodes.clear();
    auto r = bob.process(bad);
    REQUIRE_FALSE(r.ok());
  }
  CHECK(bob.epoch() == epoch);
  auto r = bob.process(update->commit);
  REQUIRE_MESSAGE(r.ok(), r.error().to_string());
  CHECK(bob.epoch() == epoch + 1);
  CHECK(Bytes(bob.epoch_authenticator().begin(), bob.epoch_authenticator().end()) ==
        Bytes(sim.active.at(0).epoch_authenticator().begin(), sim.active.at(0).epoch_authenticator().end()));
}

TEST_CASE("key packages: bad signature, wrong suite and expired ones are refused") {
  auto id = identity(9);
  auto b = make_key_package(suite(), id, kNow - 10, kNow + 10);
  REQUIRE(b.ok());
  CHECK(validate_key_package(suite(), b->key_package, kNow).ok());
  CHECK(validate_key_package(suite(), b->key_package, kNow + 11).error().code == Errc::mls_invalid_key_package);
  auto tampered = b->key_package;
  tampered.signature[0] ^= 1;
  CHECK(validate_key_package(suite(), tampered, kNow).error().code == Errc::mls_invalid_key_package);
  const auto& other = **crypto::CipherSuite::from_id(crypto::kSuiteAes128Gcm);
  CHECK(validate_key_package(other, b->key_package, kNow).error().code == Errc::mls_invalid_key_package);
}

TEST_CASE("the credential hook can refuse an add, a join and a commit") {
  // Refuses any leaf whose identity is "user-66" (a stand-in for an uncleared person).
  const CredentialValidator no_66 = [](const Credential& credential, BytesView, CredentialUse) -> Status {
    const std::string who(credential.identity.begin(), credential.identity.end());
    if (who == "user-66") return fail(Errc::mls_invalid_credential, "user-66 is not cleared for this group");
    return {};
  };
  auto alice_id = identity(1), bob_id = identity(2), mallory_id = identity(66);
  auto strict = Group::create(suite(), Bytes{'s'}, alice_id, no_66);
  auto lax = Group::create(suite(), Bytes{'s'}, bob_id);  // no hook beyond basic credentials
  REQUIRE((strict.ok() && lax.ok()));
  auto mallory_kp = make_key_package(suite(), mallory_id, kNow - 1, kNow + 100);
  REQUIRE(mallory_kp.ok());

  // The strict member refuses to add mallory.
  auto add = strict->commit({mallory_kp->key_package}, {}, kNow);
  REQUIRE_FALSE(add.ok());
  CHECK(add.error().code == Errc::mls_invalid_credential);
  CHECK(strict->epoch() == 0);

  // A strict member joining a group where mallory is already in refuses the Welcome.
  auto carol_id = identity(3);
  auto carol_kp = make_key_package(suite(), carol_id, kNow - 1, kNow + 100);
  REQUIRE(carol_kp.ok());
  auto out = lax->commit({mallory_kp->key_package, carol_kp->key_package}, {}, kNow);
  REQUIRE(out.ok());
  JoinOptions options;
  options.rules.validator = no_66;
  auto joined = Group::join(suite(), std::get<Welcome>(out->welcome->body), std::move(*carol_kp), carol_id, options);
  REQUIRE_FALSE(joined.ok());
  CHECK(joined.error().code == Errc::mls_invalid_credential);

  // A strict member refuses a commit that adds mallory, and stays where it was.
  auto dave_id = identity(4);
  auto dave_kp = make_key_package(suite(), dave_id, kNow - 1, kNow + 100);
  REQUIRE(dave_kp.ok());
  auto bob2 = Group::create(suite(), Bytes{'t'}, identity(5));
  REQUIRE(bob2.ok());
  auto first = bob2->commit({dave_kp->key_package}, {}, kNow);
  REQUIRE(first.ok());
  JoinOptions dave_options;
  dave_options.rules.validator = no_66;
  auto dave = Group::join(suite(), std::get<Welcome>(first->welcome->body), std::move(*dave_kp), dave_id, dave_options);
  REQUIRE(dave.ok());
  auto mallory_kp2 = make_key_package(suite(), mallory_id, kNow - 1, kNow + 100);
  REQUIRE(mallory_kp2.ok());
  auto bad = bob2->commit({mallory_kp2->key_package}, {}, kNow);
  REQUIRE(bad.ok());
  auto r = dave->process(bad->commit);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::mls_invalid_credential);
  CHECK(dave->epoch() == 1);
}

TEST_CASE("a member's state survives serialization: same epoch, same keys, no key used twice") {
  Simulation sim(11);
  for (int i = 0; i < 12; ++i) sim.step(12);
  sim.check_agreement();
  // Someone sends three messages; a member reads the third, is saved and restored, then reads
  // the first (kept out of order), and cannot read the third again.
  const int sender = sim.random_member();
  int reader = sender;
  while (reader == sender) reader = sim.random_member();
  std::vector<MlsMessage> msgs;
  for (int i = 0; i < 3; ++i) {
    auto m = sim.active.at(sender).protect(as_bytes("m" + std::to_string(i)));
    REQUIRE(m.ok());
    msgs.push_back(wire(*m));
  }
  REQUIRE(sim.active.at(reader).process(msgs[2]).ok());
  const auto saved = sim.active.at(reader).serialize();
  {
    auto restored = Group::deserialize(suite(), saved, sim.identities.at(reader));
    REQUIRE_MESSAGE(restored.ok(), restored.error().to_string());
    sim.active.insert_or_assign(reader, std::move(*restored));
  }
  auto first = sim.active.at(reader).process(msgs[0]);
  REQUIRE_MESSAGE(first.ok(), first.error().to_string());
  CHECK(std::string(first->application_data.begin(), first->application_data.end()) == "m0");
  auto again = sim.active.at(reader).process(msgs[2]);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == Errc::mls_generation_reused);
  // The restored member goes on committing and following like the others.
  for (int i = 0; i < 6; ++i) {
    sim.step(12);
    sim.check_agreement();
  }
  sim.check_application_message();

  // Damaged or foreign state is refused with a clear error.
  const BytesView bytes = saved.view();
  CHECK_FALSE(Group::deserialize(suite(), bytes.first(bytes.size() / 2), sim.identities.at(reader)).ok());
  auto stranger = identity(999);
  auto foreign = Group::deserialize(suite(), bytes, stranger);
  if (sim.active.count(reader)) {
    REQUIRE_FALSE(foreign.ok());
    CHECK(foreign.error().code == Errc::invalid_argument);
  }
}

TEST_CASE("a new device joins by an external commit from the GroupInfo, and everyone agrees") {
  Simulation sim(21);
  for (int i = 0; i < 8; ++i) sim.step(10);
  sim.check_agreement();
  const int exporter = sim.random_member();
  auto info_message = sim.active.at(exporter).group_info();
  REQUIRE(info_message.ok());
  const auto info = std::get<GroupInfo>(wire(*info_message).body);

  const int newcomer = sim.next_id++;
  sim.identities.emplace(newcomer, identity(newcomer));
  auto joined = Group::join_external(suite(), info, sim.identities.at(newcomer));
  REQUIRE_MESSAGE(joined.ok(), joined.error().to_string());
  const auto commit = wire(joined->commit);
  for (auto& [who, g] : sim.active) {
    auto r = g.process(commit);
    REQUIRE_MESSAGE(r.ok(), "member " << who << ": " << r.error().to_string());
    CHECK(r->kind == Received::Kind::commit);
    REQUIRE(r->added.size() == 1);
    CHECK(r->added[0] == joined->group.own_leaf());
  }
  sim.active.emplace(newcomer, std::move(joined->group));
  sim.check_agreement();
  sim.check_application_message();
  // The joiner takes part like any member afterwards.
  for (int i = 0; i < 4; ++i) {
    sim.step(12);
    sim.check_agreement();
  }

  // A GroupInfo whose signature was tampered with is refused.
  auto bad = info;
  bad.signature[3] ^= 1;
  auto refused = Group::join_external(suite(), bad, identity(500));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == Errc::bad_signature);
}

TEST_CASE("no epoch follows the last one: a GroupInfo at epoch 2^64-1 is refused instead of wrapping to 0") {
  const Identity alice = identity(1);
  auto g = Group::create(suite(), Bytes{'w'}, alice);
  REQUIRE(g.ok());
  auto message = g->group_info();
  REQUIRE(message.ok());
  auto info = std::get<GroupInfo>(wire(*message).body);
  info.group_context.epoch = UINT64_MAX;  // signed again by a member, as a malicious one could
  REQUIRE(sign_group_info(suite(), info, alice.signature.private_key).ok());
  auto joined = Group::join_external(suite(), info, identity(2));
  REQUIRE_FALSE(joined.ok());
  CHECK(joined.error().code == Errc::mls_invalid_commit);
}
