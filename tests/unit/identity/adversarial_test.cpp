// A G-Chat group under attack, step by seeded random step: honest members talk, refresh their
// leaves, leave and are added back while the admin commits, and in between members running a
// modified client, outsiders with valid certificates and the relay send forged, tampered,
// replayed, reordered and out-of-epoch messages. Every honest member must read every honest
// message exactly once, refuse every attack with its state byte for byte unchanged (RFC 9420
// §6.3.2, STYLE.md "Verify, then change"), and agree with the others on each new epoch.
#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <set>

#include "mls_world.hpp"

using namespace gchat;
using namespace gchat::identity;
using namespace gchat::identity::testing;

namespace {

constexpr std::uint32_t kSeeds[] = {1, 2, 3, 4};
constexpr int kSteps = 400;
constexpr std::size_t kMaxMembers = 6;
constexpr std::uint32_t kSilencingJump = 1000;  // generations ahead of the victim's ratchet

// One honest application message.
struct Letter {
  std::string from;
  mls::LeafIndex from_leaf = 0;
  Bytes text;
  mls::MlsMessage message;
};

// A proposal as the relay passed it on, and who has cached it.
struct Handshake {
  mls::MlsMessage message;
  std::set<std::string> cached_by;
};

// The group as the relay sees it: every honest member's state, the application messages on their
// way (delivered in random order within the epoch), and what an attacker could record.
struct Network {
  World w;
  std::mt19937 rng;
  std::map<std::string, mls::Group> members;                   // the honest members in the group now
  std::vector<Letter> letters;                                 // every honest application message, by id
  std::vector<std::pair<std::string, std::size_t>> in_flight;  // (recipient, letter) not yet delivered
  std::map<std::pair<std::string, std::size_t>, int> times_read;
  std::size_t expected_reads = 0;
  // This epoch: what was sent and read, what is pending, and proposals the relay holds back from
  // one member (it delivers them after the commit that covers them, then in order).
  std::vector<std::size_t> epoch_letters;
  std::map<std::string, std::vector<std::size_t>> read;
  std::vector<Handshake> proposals;
  std::map<std::string, std::vector<std::pair<mls::MlsMessage, Bytes>>> held;  // (proposal, its ref)
  std::set<std::string> leaving;
  std::vector<mls::MlsMessage> past;   // everything of earlier epochs
  std::map<std::string, int> attacks;  // how often each attack was tried

  static inline const std::vector<std::string> kPeople{"alice", "bob", "dan", "erin", "frank", "grace"};

  explicit Network(std::uint32_t seed) : rng(seed) {
    for (const auto& name : kPeople) w.person(name, Clearance::secret);
    w.person("carol", Clearance::confidential);  // below the room's level
    w.person("mallory", Clearance::secret);      // cleared, but never added: an outsider
    members.emplace("alice", w.create("alice", w.policy(Clearance::secret)));
    auto out = members.at("alice").commit({w.key_package("bob"), w.key_package("dan"), w.key_package("erin")},
                                          {}, kNow);
    REQUIRE(out.ok());
    for (const char* name : {"bob", "dan", "erin"}) join(name, *out->welcome);
    agree();
  }

  // --- choosing ------------------------------------------------------------------------------

  std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng); }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [name, g] : members) out.push_back(name);
    return out;
  }
  std::string any_member() {
    auto all = names();
    return all[pick(all.size())];
  }
  // A member who is not an admin, if there is one.
  std::optional<std::string> non_admin() {
    auto all = names();
    std::erase(all, "alice");
    if (all.empty()) return std::nullopt;
    return all[pick(all.size())];
  }
  std::optional<std::string> other_than(const std::string& name) {
    auto all = names();
    std::erase(all, name);
    if (all.empty()) return std::nullopt;
    return all[pick(all.size())];
  }
  mls::Group& alice() { return members.at("alice"); }
  mls::LeafIndex leaf_of(const std::string& name) { return members.at(name).own_leaf(); }
  void flip_a_bit(Bytes& b) { b[pick(b.size())] ^= static_cast<std::uint8_t>(1u << pick(8)); }

  // --- honest members ------------------------------------------------------------------------

  void join(const std::string& name, const mls::MlsMessage& welcome) {
    auto g = w.join(name, welcome);
    REQUIRE_MESSAGE(g.ok(), g.error().to_string());
    members.emplace(name, std::move(*g));
  }

  void send(const std::string& from) {
    const std::size_t id = letters.size();
    Letter l{from, leaf_of(from), {}, {}};
    const std::string text = "letter " + std::to_string(id) + " from " + from;
    l.text.assign(text.begin(), text.end());
    auto m = members.at(from).protect(l.text);
    REQUIRE(m.ok());
    l.message = wire(*m);
    for (const auto& to : names()) {
      if (to == from) continue;
      in_flight.emplace_back(to, id);
      ++expected_reads;
    }
    letters.push_back(std::move(l));
    epoch_letters.push_back(id);
  }

  // One message, to one member, picked at random among those on their way.
  void deliver_one() {
    if (in_flight.empty()) return;
    const std::size_t i = pick(in_flight.size());
    const auto [to, id] = in_flight[i];
    in_flight.erase(in_flight.begin() + static_cast<std::ptrdiff_t>(i));
    const Letter& l = letters[id];
    INFO(to << " reads letter " << id << " from " << l.from);
    auto r = members.at(to).process(l.message);
    REQUIRE_MESSAGE(r.ok(), r.error().to_string());
    CHECK(r->kind == mls::Received::Kind::application);
    CHECK(r->sender == l.from_leaf);
    CHECK(r->application_data == l.text);
    ++times_read[{to, id}];
    read[to].push_back(id);
  }
  void deliver_all() {
    while (!in_flight.empty()) deliver_one();
  }

  // A proposal, passed on by the relay to every other member (alice first: she commits, and her
  // cache names the proposal's reference). Sometimes it holds it back from one member.
  void broadcast(const std::string& from, const mls::MlsMessage& proposal) {
    Handshake h{proposal, {from}};
    std::vector<std::string> order = names();
    std::erase(order, from);
    std::stable_partition(order.begin(), order.end(), [](const std::string& n) { return n == "alice"; });
    for (const auto& to : order) {
      if (to != "alice" && chance(0.1)) {
        held[to].emplace_back(proposal, alice().pending_proposals().back().ref);
        continue;
      }
      INFO(to << " caches a proposal from " << from);
      auto r = members.at(to).process(proposal);
      REQUIRE_MESSAGE(r.ok(), r.error().to_string());
      CHECK(r->kind == mls::Received::Kind::proposal);
      h.cached_by.insert(to);
    }
    proposals.push_back(std::move(h));
  }

  void propose_update(const std::string& who) {
    auto p = members.at(who).propose_update();
    REQUIRE(p.ok());
    broadcast(who, wire(*p));
  }
  void leave(const std::string& who) {
    if (leaving.count(who)) return;
    auto p = members.at(who).propose_remove(leaf_of(who));
    REQUIRE(p.ok());
    leaving.insert(who);
    broadcast(who, wire(*p));
  }

  // Alice commits what is pending (and sometimes adds someone waiting). Every application message
  // of the epoch is delivered first; the others process the commit in the relay's order.
  void commit() {
    deliver_all();
    std::vector<mls::KeyPackage> adds;
    std::optional<std::string> joining;
    std::vector<std::string> waiting;
    for (const auto& name : kPeople) {
      if (!members.count(name)) waiting.push_back(name);
    }
    if (!waiting.empty() && members.size() - leaving.size() < kMaxMembers && chance(0.5)) {
      joining = waiting[pick(waiting.size())];
      adds.push_back(w.key_package(*joining));
    }
    // Another member commits in the same epoch and loses the race: the relay takes Alice's first.
    std::optional<mls::MlsMessage> lost;
    if (auto other = non_admin(); other && chance(0.3)) {
      auto copy = mls::Group::deserialize(suite(), members.at(*other).serialize().view(),
                                          w.people.at(*other).id, w.verifier->rules());
      REQUIRE(copy.ok());
      if (auto c = copy->commit({}, {}, kNow); c.ok()) lost = wire(c->commit);
    }
    auto out = alice().commit(adds, {}, kNow);
    REQUIRE_MESSAGE(out.ok(), out.error().to_string());
    const auto commit = wire(out->commit);
    std::set<Bytes> covered;
    for (const auto& p :
         std::get<mls::Commit>(std::get<mls::PublicMessage>(commit.body).content.body).proposals) {
      if (const auto* ref = std::get_if<Bytes>(&p.value)) covered.insert(*ref);
    }
    std::set<std::string> removed;
    for (const auto& to : names()) {
      if (to == "alice") continue;
      INFO(to << " processes alice's commit to epoch " << alice().epoch());
      // Reordered by the relay: the commit before a proposal it covers is refused, then taken in order.
      for (const auto& proposal_and_ref : held[to]) {
        if (covered.count(proposal_and_ref.second)) {
          ++attacks["a commit before a proposal it covers"];
          refused_at(to, commit, "a commit that arrives before a proposal it covers");
          break;
        }
      }
      for (const auto& proposal_and_ref : held[to])
        REQUIRE(members.at(to).process(proposal_and_ref.first).ok());
      auto r = members.at(to).process(commit);
      REQUIRE_MESSAGE(r.ok(), r.error().to_string());
      if (r->we_were_removed) removed.insert(to);
    }
    CHECK(removed == leaving);  // everyone who asked to leave, and no one else
    for (const auto& name : removed) members.erase(name);

    for (auto& h : proposals) past.push_back(std::move(h.message));
    for (std::size_t id : epoch_letters) past.push_back(letters[id].message);
    past.push_back(commit);
    epoch_letters.clear();
    read.clear();
    proposals.clear();
    held.clear();
    leaving.clear();
    if (joining) join(*joining, *out->welcome);
    agree();
    if (lost) refused_by_all(*lost, "a commit that lost the race to the relay");
  }

  // Every honest member is in the same epoch, with the same authenticator and tree.
  void agree() {
    const auto& a = alice();
    for (const auto& [name, g] : members) {
      INFO(name << " against alice");
      REQUIRE(g.epoch() == a.epoch());
      CHECK(Bytes(g.epoch_authenticator().begin(), g.epoch_authenticator().end()) ==
            Bytes(a.epoch_authenticator().begin(), a.epoch_authenticator().end()));
      CHECK(g.context().tree_hash == a.context().tree_hash);
      CHECK(g.members() == a.members());
    }
  }

  // --- refusals ------------------------------------------------------------------------------

  // `to` refuses `m` and its state is byte for byte what it was. Should it not, the state is put
  // back so that the rest of the run still checks something.
  void refused_at(const std::string& to, const mls::MlsMessage& m, const std::string& what,
                  std::optional<Errc> code = std::nullopt) {
    INFO(to << " is given " << what);
    const auto before = members.at(to).serialize();
    auto r = members.at(to).process(m);
    CHECK_MESSAGE(!r.ok(), "accepted");
    if (!r.ok() && code) CHECK_MESSAGE(r.error().code == *code, r.error().to_string());
    const bool unchanged = members.at(to).serialize() == before;
    CHECK_MESSAGE(unchanged, "the state changed");
    if (r.ok() || !unchanged) {
      auto restored =
          mls::Group::deserialize(suite(), before.view(), w.people.at(to).id, w.verifier->rules());
      REQUIRE(restored.ok());
      members.erase(to);
      members.emplace(to, std::move(*restored));
    }
  }
  void refused_by_all(const mls::MlsMessage& m, const std::string& what,
                      std::optional<Errc> code = std::nullopt) {
    ++attacks[what];
    for (const auto& to : names()) refused_at(to, m, what, code);
  }

  // --- attacks -------------------------------------------------------------------------------

  // A letter of this epoch, altered on its way, reaches every member, also those that have not
  // read the genuine one yet (which must still open it afterwards).
  void tamper_with_a_letter() {
    if (epoch_letters.empty()) return;
    auto m = letters[epoch_letters[pick(epoch_letters.size())]].message;
    auto& p = std::get<mls::PrivateMessage>(m.body);
    switch (pick(5)) {
      case 0:
        flip_a_bit(p.ciphertext);
        return refused_by_all(m, "a letter with a flipped ciphertext bit");
      case 1:
        flip_a_bit(p.encrypted_sender_data);
        return refused_by_all(m, "a letter with a flipped sender-data bit");
      case 2:
        p.authenticated_data.push_back(0);
        return refused_by_all(m, "a letter with authenticated data added");
      case 3:
        p.ciphertext.resize(p.ciphertext.size() - 1 - pick(16));
        return refused_by_all(m, "a truncated letter");
      default:
        p.epoch += 1;
        return refused_by_all(m, "a letter relabelled for the next epoch", Errc::mls_wrong_epoch);
    }
  }

  // A letter a member has read (or sent) is given to it again.
  void replay_a_letter() {
    std::vector<std::pair<std::string, std::size_t>> seen;
    for (const auto& [to, ids] : read)
      for (std::size_t id : ids) seen.emplace_back(to, id);
    for (std::size_t id : epoch_letters) seen.emplace_back(letters[id].from, id);
    if (seen.empty()) return;
    const auto [to, id] = seen[pick(seen.size())];
    ++attacks["a letter replayed"];
    refused_at(to, letters[id].message, "a letter it has already read or sent", Errc::mls_generation_reused);
  }

  // A proposal a member has cached is given to it again.
  void replay_a_proposal() {
    std::vector<std::pair<std::string, const mls::MlsMessage*>> seen;
    for (const auto& h : proposals)
      for (const auto& to : h.cached_by) seen.emplace_back(to, &h.message);
    if (seen.empty()) return;
    const auto [to, m] = seen[pick(seen.size())];
    ++attacks["a proposal replayed"];
    refused_at(to, *m, "a proposal it has already cached");
  }

  // Anything from an earlier epoch: letters, proposals, commits.
  void replay_from_an_old_epoch() {
    if (past.empty()) return;
    refused_by_all(past[pick(past.size())], "a message of an earlier epoch");
  }

  // A member's genuine Update proposal (never delivered), altered on its way. The membership tag,
  // over content and signature, catches each change; signatures themselves are what the silencing
  // forgery and the outsider posing as the relay test.
  void tamper_with_a_proposal() {
    const auto who = any_member();
    auto copy = mls::Group::deserialize(suite(), members.at(who).serialize().view(), w.people.at(who).id,
                                        w.verifier->rules());
    REQUIRE(copy.ok());
    auto p = copy->propose_update();
    REQUIRE(p.ok());
    auto m = wire(*p);
    auto& pub = std::get<mls::PublicMessage>(m.body);
    switch (pick(4)) {
      case 0:
        flip_a_bit(pub.auth.signature);
        return refused_by_all(m, "a proposal with a flipped signature bit");
      case 1:
        flip_a_bit(pub.membership_tag);
        return refused_by_all(m, "a proposal with a flipped membership tag bit",
                              Errc::mls_bad_membership_tag);
      case 2: {
        auto& leaf = std::get<mls::Update>(std::get<mls::Proposal>(pub.content.body).body).leaf_node;
        flip_a_bit(leaf.encryption_key);
        return refused_by_all(m, "a proposal whose new encryption key was swapped");
      }
      default: {
        const auto victim = other_than(who);
        if (!victim) return;
        pub.content.sender.index = leaf_of(*victim);
        return refused_by_all(m, "a proposal relabelled as another member's");
      }
    }
  }

  // What a member who is not an admin may not ask for, from a client without the rules.
  void rogue_member() {
    const auto who = non_admin();
    if (!who) return;
    auto rogue = w.rogue(members.at(*who), *who);
    const auto victim = other_than(*who);
    mls::CommitOptions nothing_pending;
    nothing_pending.take_pending = [](const mls::PendingProposal&) { return false; };
    switch (pick(4)) {
      case 0: {
        auto p = rogue.propose_group_context_extensions(group_extensions(
            w.policy(Clearance::unclassified), RelaySender{w.relay.public_key(), "relay-1"}));
        REQUIRE(p.ok());
        return refused_by_all(wire(*p), "a non-admin's proposal lowering the level",
                              Errc::policy_not_permitted);
      }
      case 1: {
        auto p = rogue.propose_remove(leaf_of(*victim));
        REQUIRE(p.ok());
        return refused_by_all(wire(*p), "a non-admin's proposal removing another",
                              Errc::policy_not_permitted);
      }
      case 2: {
        auto c = rogue.commit({}, {leaf_of(*victim)}, kNow, nothing_pending);
        REQUIRE(c.ok());
        return refused_by_all(wire(c->commit), "a non-admin's commit removing another");
      }
      default: {
        auto c = rogue.commit({w.key_package("carol")}, {}, kNow, nothing_pending);
        REQUIRE(c.ok());
        return refused_by_all(wire(c->commit), "a commit adding someone below the level");
      }
    }
  }

  // A member's modified client enters an epoch no one else does, then writes from it.
  void from_an_epoch_never_entered() {
    const auto who = any_member();
    auto rogue = w.rogue(members.at(who), who);
    mls::CommitOptions nothing_pending;
    nothing_pending.take_pending = [](const mls::PendingProposal&) { return false; };
    REQUIRE(rogue.commit({}, {}, kNow, nothing_pending).ok());
    if (chance(0.5)) {
      auto m = rogue.protect(as_bytes("from the future"));
      REQUIRE(m.ok());
      return refused_by_all(wire(*m), "a letter from an epoch never entered", Errc::mls_wrong_epoch);
    }
    auto p = rogue.propose_update();
    REQUIRE(p.ok());
    refused_by_all(wire(*p), "a proposal from an epoch never entered", Errc::mls_wrong_epoch);
  }

  // The silencing attack: a member who holds the epoch's secrets writes as another member at a
  // generation far ahead, signed with its own key. Were the victim's ratchet moved before the
  // signature is checked, the victim's next real letters would not open. The forger is built from
  // a copy of the victim's state, which holds nothing the attack uses that every member does not
  // (the epoch's secret tree, from which any member derives every sender's ratchet).
  void silence_a_member() {
    const auto victim = any_member();
    const auto forger = other_than(victim);
    if (!forger) return;
    const auto& v = w.people.at(victim).id;
    mls::Identity posing{v.credential,
                         crypto::SignatureKeyPair{w.people.at(*forger).id.signature.private_key.clone(),
                                                  v.signature.public_key},
                         v.extra_capabilities};
    auto copy =
        mls::Group::deserialize(suite(), members.at(victim).serialize().view(), posing, w.verifier->rules());
    REQUIRE(copy.ok());
    for (std::uint32_t i = 0; i < kSilencingJump; ++i) REQUIRE(copy->protect(as_bytes("skipped")).ok());
    auto m = copy->protect(as_bytes("you will not hear from them again"));
    REQUIRE(m.ok());
    refused_by_all(wire(*m), "a letter in another member's name, signed by the forger");
    send(victim);  // and the victim is still heard
  }

  // People outside the group: an outsider with a valid certificate, and the relay.
  void outsider() {
    const auto& mallory = w.people.at("mallory").id;
    const auto& g = alice();
    const auto victim = any_member();
    switch (pick(4)) {
      case 0: {
        auto p = mls::new_member_proposal(suite(), g.group_id(), g.epoch(), w.key_package("mallory"),
                                          mallory.signature.private_key.view());
        REQUIRE(p.ok());
        return refused_by_all(wire(*p), "an outsider's request to join", Errc::policy_not_permitted);
      }
      case 1: {
        auto p = mls::external_proposal(
            suite(), g.group_id(), g.epoch(), 0, mls::Proposal{mls::Remove{leaf_of(victim)}},
            mallory.signature.private_key.view(),
            w.evidence(w.clearance_act(victim, Clearance::confidential), w.moi_admin));
        REQUIRE(p.ok());
        return refused_by_all(wire(*p), "an outsider posing as the relay");
      }
      case 2:
        return refused_by_all(w.relay_remove(g, leaf_of(victim), {}), "the relay's Remove without evidence",
                              Errc::policy_not_permitted);
      default: {
        auto info = g.group_info();
        REQUIRE(info.ok());
        auto joined = mls::Group::join_external(suite(), std::get<mls::GroupInfo>(wire(*info).body), mallory,
                                                w.verifier->rules());
        REQUIRE_MESSAGE(joined.ok(), joined.error().to_string());
        return refused_by_all(wire(joined->commit), "an outsider's external commit");
      }
    }
  }

  void attack() {
    switch (pick(10)) {
      case 0:
        return tamper_with_a_letter();
      case 1:
        return replay_a_letter();
      case 2:
        return replay_a_proposal();
      case 3:
        return replay_from_an_old_epoch();
      case 4:
        return tamper_with_a_proposal();
      case 5:
      case 6:
        return rogue_member();
      case 7:
        return from_an_epoch_never_entered();
      case 8:
        return chance(0.25) ? silence_a_member() : tamper_with_a_letter();
      default:
        return outsider();
    }
  }

  // --- one step ------------------------------------------------------------------------------

  void step() {
    enum { send_, deliver_, update_, leave_, commit_, attack_ };
    std::discrete_distribution<int> what({30, 20, 6, 3, 8, 33});
    switch (what(rng)) {
      case send_:
        return send(any_member());
      case deliver_:
        for (std::size_t n = 1 + pick(3); n > 0; --n) deliver_one();
        return;
      case update_:
        if (auto who = non_admin()) propose_update(*who);
        return;
      case leave_:
        if (auto who = non_admin()) leave(*who);
        return;
      case commit_:
        return commit();
      default:
        return attack();
    }
  }
};

}  // namespace

TEST_CASE(
    "under forged, replayed, reordered and out-of-epoch messages every honest member reads every honest "
    "message once, refuses every attack unchanged, and agrees on each epoch") {
  std::map<std::string, int> tried;
  for (std::uint32_t seed : kSeeds) {
    Network net(seed);
    for (int step = 0; step < kSteps; ++step) {
      const std::uint64_t epoch = net.alice().epoch();
      INFO("seed " << seed << ", step " << step << ", epoch " << epoch);
      net.step();
    }
    INFO("seed " << seed);
    net.commit();
    CHECK(net.in_flight.empty());
    CHECK(net.times_read.size() == net.expected_reads);
    CHECK(std::all_of(net.times_read.begin(), net.times_read.end(),
                      [](const auto& kv) { return kv.second == 1; }));
    CHECK(net.alice().epoch() > 10);
    for (const auto& [what, n] : net.attacks) tried[what] += n;
  }
  CHECK(tried.size() == 25);  // every attack was tried
}

// Minimal reproductions of what the run above found.

TEST_CASE("an outsider with a valid certificate who was never added cannot join by external commit") {
  World w;
  w.person("alice", Clearance::secret);
  w.person("bob", Clearance::secret);
  w.person("mallory", Clearance::secret);
  auto alice = w.create("alice", w.policy(Clearance::secret));
  auto out = alice.commit({w.key_package("bob")}, {}, kNow);
  REQUIRE(out.ok());
  auto bob = w.join("bob", *out->welcome);
  REQUIRE(bob.ok());
  // Mallory holds the GroupInfo (the relay keeps it for external joins) but is no member's device.
  auto info = alice.group_info();
  REQUIRE(info.ok());
  auto joined = mls::Group::join_external(suite(), std::get<mls::GroupInfo>(wire(*info).body),
                                          w.people.at("mallory").id, w.verifier->rules());
  REQUIRE(joined.ok());
  for (mls::Group* g : {&alice, &*bob}) {
    const auto before = g->serialize();
    auto r = g->process(wire(joined->commit));
    CHECK_MESSAGE(!r.ok(), "mallory joined without anyone adding her");
    if (!r.ok()) CHECK(r.error().code == Errc::policy_not_permitted);
    CHECK(g->serialize() == before);
  }
}

TEST_CASE("a proposal replayed to a member that has cached it is refused and leaves its state unchanged") {
  World w;
  w.person("alice", Clearance::secret);
  w.person("bob", Clearance::secret);
  auto alice = w.create("alice", w.policy(Clearance::secret));
  auto out = alice.commit({w.key_package("bob")}, {}, kNow);
  REQUIRE(out.ok());
  auto bob = w.join("bob", *out->welcome);
  REQUIRE(bob.ok());
  auto update = bob->propose_update();
  REQUIRE(update.ok());
  REQUIRE(alice.process(wire(*update)).ok());
  REQUIRE(alice.pending_proposals().size() == 1);
  const auto before = alice.serialize();
  auto again = alice.process(wire(*update));  // a relay replaying what it passed on
  CHECK_MESSAGE(!again.ok(), "the replay was cached a second time");
  CHECK(alice.pending_proposals().size() == 1);
  CHECK(alice.serialize() == before);
}
