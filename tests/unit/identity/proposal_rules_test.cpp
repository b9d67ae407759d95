// Who may ask for what in a G-Chat group, judged by the proposal's sender (not by whoever commits
// it), when it arrives and again when it is committed: the clearance bypass of a non-admin's
// declassification, the other proposals a member who is not an admin may not make, the relay's
// removals with an administrator's act as evidence, and the checks a member runs before it obeys a
// commit, its own removal included.
#include <doctest/doctest.h>

#include "gchat/mls/crypto_ops.hpp"
#include "gchat/mls/public_group.hpp"
#include "mls_world.hpp"

using namespace gchat;
using namespace gchat::identity;
using namespace gchat::identity::testing;

namespace {

// A Secret group: alice (admin), bob and dan (members), every state in the same epoch.
struct SecretRoom {
  World w;
  mls::Group alice;
  mls::CommitOutput added;
  mls::Group bob;
  mls::Group dan;

  static mls::Group make(World& w) {
    w.person("alice", Clearance::secret);
    w.person("bob", Clearance::secret);
    w.person("dan", Clearance::secret);
    w.person("carol", Clearance::confidential);
    w.person("erin", Clearance::secret);
    return w.create("alice", w.policy(Clearance::secret));
  }
  static mls::CommitOutput add_both(World& w, mls::Group& alice) {
    auto out = alice.commit({w.key_package("bob"), w.key_package("dan")}, {}, kNow);
    REQUIRE(out.ok());
    return std::move(*out);
  }
  static mls::Group joined(World& w, const std::string& name, const mls::CommitOutput& out) {
    auto g = w.join(name, *out.welcome);
    REQUIRE_MESSAGE(g.ok(), g.error().to_string());
    return std::move(*g);
  }
  SecretRoom()
      : alice(make(w)), added(add_both(w, alice)), bob(joined(w, "bob", added)), dan(joined(w, "dan", added)) {}
  std::vector<mls::Extension> extensions(const v1::GroupPolicy& p) const {
    return group_extensions(p, RelaySender{w.relay.public_key(), "relay-1"});
  }
  mls::LeafIndex leaf_of(const std::string& name) const {
    for (mls::LeafIndex i = 0; i < alice.tree().leaf_count(); ++i) {
      const auto* l = alice.tree().leaf(i);
      if (l && l->signature_key == w.people.at(name).id.signature.public_key) return i;
    }
    FAIL("no leaf for " << name);
    return 0;
  }
};

// The state is byte for byte what it was.
void refused_unchanged(mls::Group& g, const mls::MlsMessage& m, Errc code) {
  const auto before = g.serialize();
  auto r = g.process(m);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == code);
  CHECK(g.serialize() == before);
}

}  // namespace

TEST_CASE("the clearance bypass: a non-admin's declassification is refused on arrival, and by reference in a commit") {
  SecretRoom room;
  auto& w = room.w;
  // Bob, a Secret member but no admin, runs a modified client: Unclassified, any agency, himself admin.
  auto lowered = w.policy(Clearance::unclassified);
  *lowered.add_admins() = v1::UserRef();
  lowered.mutable_admins(1)->set_agency_id("moi");
  lowered.mutable_admins(1)->set_user_id("bob");
  auto rogue_bob = w.rogue(room.bob, "bob");
  auto proposal = rogue_bob.propose_group_context_extensions(room.extensions(lowered));
  REQUIRE(proposal.ok());
  refused_unchanged(room.alice, wire(*proposal), Errc::policy_not_permitted);
  refused_unchanged(room.dan, wire(*proposal), Errc::policy_not_permitted);
  // Nothing pending: Alice's next commit (what her client does after each batch) changes no policy.
  CHECK(room.alice.pending_proposals().empty());

  // An admin's client without the proposal rule caches it and commits it by reference. Members
  // that refused it do not know the reference; one that holds it anyway (cached by an older
  // client, restored with today's rules) judges it by its proposer, Bob, and refuses the commit.
  auto rogue_alice = w.rogue(room.alice, "alice");
  REQUIRE(rogue_alice.process(wire(*proposal)).ok());
  auto commit = rogue_alice.commit({}, {}, kNow);
  REQUIRE(commit.ok());
  refused_unchanged(room.bob, wire(commit->commit), Errc::mls_invalid_commit);
  auto older_dan = w.rogue(room.dan, "dan");
  REQUIRE(older_dan.process(wire(*proposal)).ok());
  auto dan = mls::Group::deserialize(suite(), older_dan.serialize().view(), w.people.at("dan").id, w.verifier->rules());
  REQUIRE(dan.ok());
  REQUIRE(dan->pending_proposals().size() == 1);
  refused_unchanged(*dan, wire(commit->commit), Errc::policy_not_permitted);
  // Such a member's own commits leave the proposal out.
  auto own = dan->commit({}, {}, kNow);
  REQUIRE(own.ok());
  auto seen = room.alice.process(wire(own->commit));
  REQUIRE_MESSAGE(seen.ok(), seen.error().to_string());
  CHECK_FALSE(seen->extensions_changed);
  CHECK(policy_of(room.alice.context().extensions)->level() == v1::SECRET);

  // With the group still Secret, Carol (Confidential) cannot be added by Bob's honest client.
  auto carol = room.bob.commit({w.key_package("carol")}, {}, kNow);
  REQUIRE_FALSE(carol.ok());
  CHECK(carol.error().code == Errc::clearance_too_low);
}

TEST_CASE("a member who is not an admin adds the cleared and refreshes or removes its own device, nothing more") {
  SecretRoom room;
  auto& w = room.w;
  auto rogue_bob = w.rogue(room.bob, "bob");
  const auto dan = room.leaf_of("dan");

  SUBCASE("removing another member") {
    auto own = room.bob.propose_remove(dan);
    REQUIRE_FALSE(own.ok());
    CHECK(own.error().code == Errc::policy_not_permitted);
    refused_unchanged(room.alice, wire(*rogue_bob.propose_remove(dan)), Errc::policy_not_permitted);
    // ... nor by value in his own commit.
    auto by_value = room.bob.commit({}, {dan}, kNow);
    REQUIRE_FALSE(by_value.ok());
    CHECK(by_value.error().code == Errc::policy_not_permitted);
    auto forced = w.rogue(room.bob, "bob").commit({}, {dan}, kNow);
    REQUIRE(forced.ok());
    refused_unchanged(room.alice, wire(forced->commit), Errc::policy_not_permitted);
    refused_unchanged(room.dan, wire(forced->commit), Errc::policy_not_permitted);
  }
  SUBCASE("injecting a PSK or reinitializing the group") {
    auto psk = rogue_bob.propose_resumption_psk(room.bob.epoch());
    REQUIRE(psk.ok());
    refused_unchanged(room.alice, wire(*psk), Errc::policy_not_permitted);
    auto reinit = rogue_bob.propose_reinit(mls::ReInit{Bytes{'n'}, mls::ProtocolVersion::mls10, suite().id(), {}});
    REQUIRE(reinit.ok());
    refused_unchanged(room.alice, wire(*reinit), Errc::policy_not_permitted);
  }
  SUBCASE("adding someone below the level, even from a modified client") {
    auto add = rogue_bob.propose_add(w.key_package("carol"), kNow);
    REQUIRE(add.ok());
    refused_unchanged(room.alice, wire(*add), Errc::clearance_too_low);
  }
  SUBCASE("what he may do: leave, refresh his leaf, propose adding a cleared person") {
    auto leave = room.bob.propose_remove(room.bob.own_leaf());
    REQUIRE(leave.ok());
    REQUIRE(room.alice.process(wire(*leave)).ok());
    auto update = room.dan.propose_update();
    REQUIRE(update.ok());
    REQUIRE(room.alice.process(wire(*update)).ok());
    auto add = room.bob.propose_add(w.key_package("erin"), kNow);
    REQUIRE(add.ok());
    REQUIRE(room.alice.process(wire(*add)).ok());
    CHECK(room.alice.pending_proposals().size() == 3);
    // An admin's client may take them all; the others accept that commit.
    auto c = room.alice.commit({}, {}, kNow);
    REQUIRE(c.ok());
    REQUIRE(room.dan.process(wire(*leave)).ok());  // dan's own Update is pending with him already
    REQUIRE(room.dan.process(wire(*add)).ok());
    auto r = room.dan.process(wire(c->commit));
    REQUIRE_MESSAGE(r.ok(), r.error().to_string());
    CHECK(r->removed.size() == 1);
    CHECK(r->added.size() == 1);
  }
}

TEST_CASE("the relay's Remove is accepted only with an administrator's act that calls for it") {
  SecretRoom room;
  auto& w = room.w;
  const auto bob = room.leaf_of("bob");
  auto refused = [&](BytesView evidence, const std::string& why) {
    INFO(why);
    refused_unchanged(room.alice, w.relay_remove(room.alice, bob, evidence), Errc::policy_not_permitted);
  };
  refused({}, "no evidence at all (what a compromised relay would send)");
  refused(as_bytes(std::string_view("not a protobuf")), "evidence that does not parse");
  refused(w.evidence(w.clearance_act("bob", Clearance::secret), w.moi_admin), "bob is still cleared for Secret");
  refused(w.evidence(w.clearance_act("dan", Clearance::confidential), w.moi_admin), "an act about someone else");
  refused(w.evidence(w.clearance_act("bob", Clearance::confidential, -7200), w.moi_admin),
          "an act older than the certificate bob holds");
  refused(w.evidence(w.clearance_act("bob", Clearance::confidential), w.mof_admin),
          "an administrator of another agency");
  auto stranger = w.pki.admin(w.moi, "stranger");
  stranger.key = SigningKey::generate();  // its certificate names another key
  refused(w.evidence(w.clearance_act("bob", Clearance::confidential), stranger), "an act not signed by its administrator");
  {
    v1::AdminAct wrong_device;
    wrong_device.set_revoke_device(w.people.at("dan").device.body.device_key());
    refused(w.evidence(wrong_device, w.moi_admin), "another device's revocation");
    v1::AdminAct query;
    query.mutable_list_users();
    refused(w.evidence(query, w.moi_admin), "an act that is no reason to remove anyone");
  }
  CHECK(room.alice.pending_proposals().empty());

  SUBCASE("a lowered clearance") {
    const auto remove = w.relay_remove(room.alice, bob, w.evidence(w.clearance_act("bob", Clearance::confidential), w.moi_admin));
    REQUIRE(room.alice.process(remove).ok());
    REQUIRE(room.dan.process(remove).ok());
    auto c = room.alice.commit({}, {}, kNow);
    REQUIRE(c.ok());
    auto r = room.dan.process(wire(c->commit));
    REQUIRE_MESSAGE(r.ok(), r.error().to_string());
    CHECK(r->removed == std::vector<mls::LeafIndex>{bob});
  }
  SUBCASE("a revoked device or person") {
    v1::AdminAct act;
    act.set_revoke_device(w.people.at("bob").device.body.device_key());
    REQUIRE(room.alice.process(w.relay_remove(room.alice, bob, w.evidence(act, w.moi_admin))).ok());
    v1::AdminAct user;
    user.mutable_revoke_user()->set_agency_id("moi");
    user.mutable_revoke_user()->set_user_id("dan");
    REQUIRE(room.alice.process(w.relay_remove(room.alice, room.leaf_of("dan"), w.evidence(user, w.moi_admin))).ok());
    CHECK(room.alice.pending_proposals().size() == 2);
  }
}

TEST_CASE("an admin's policy change keeps the relay as external sender, the required capabilities and the kind") {
  SecretRoom room;
  auto& w = room.w;
  auto policy = w.policy(Clearance::secret);
  SUBCASE("without the relay") {
    auto p = room.alice.propose_group_context_extensions(group_extensions(policy));
    REQUIRE_FALSE(p.ok());
    CHECK(p.error().code == Errc::policy_not_permitted);
    CHECK(p.error().message.find("external sender") != std::string::npos);
    // From a modified admin client, members refuse it.
    auto rogue = w.rogue(room.alice, "alice");
    refused_unchanged(room.bob, wire(*rogue.propose_group_context_extensions(group_extensions(policy))),
                      Errc::policy_not_permitted);
  }
  SUBCASE("with another relay key") {
    auto other = SigningKey::generate();
    auto p = room.alice.propose_group_context_extensions(group_extensions(policy, RelaySender{other.public_key(), "x"}));
    REQUIRE_FALSE(p.ok());
    CHECK(p.error().code == Errc::mls_invalid_credential);  // the pinned relay key is the only external sender
  }
  SUBCASE("another kind") {
    policy.set_kind(v1::DIRECT);
    auto p = room.alice.propose_group_context_extensions(room.extensions(policy));
    REQUIRE_FALSE(p.ok());
    CHECK(p.error().code == Errc::policy_not_permitted);
  }
  SUBCASE("an admin declassifies: accepted, and every member learns who did it") {
    auto c = room.alice.commit({}, {}, kNow, with_extensions(room.extensions(w.policy(Clearance::unclassified))));
    REQUIRE(c.ok());
    auto r = room.bob.process(wire(c->commit));
    REQUIRE_MESSAGE(r.ok(), r.error().to_string());
    CHECK(r->extensions_changed);
    CHECK(r->extensions_by == room.alice.own_leaf());
    CHECK(policy_of(room.bob.context().extensions)->level() == v1::UNCLASSIFIED);
  }
}

TEST_CASE("a commit removing this member is obeyed only once every check on it passed") {
  SecretRoom room;
  auto& w = room.w;
  // An outsider with the GroupInfo and Bob's (public) credential, but its own key, joins by an
  // external commit that removes Bob's leaf.
  auto info_message = room.alice.group_info();
  REQUIRE(info_message.ok());
  const auto info_wire = wire(*info_message);
  const auto& info = std::get<mls::GroupInfo>(info_wire.body);
  mls::Identity forged;
  forged.credential = w.people.at("bob").id.credential;
  forged.extra_capabilities = w.people.at("bob").id.extra_capabilities;
  forged.signature = suite().generate_signature_key();
  mls::GroupRules anything([](const mls::Credential&, BytesView, mls::CredentialUse) { return Status{}; });
  auto joined = mls::Group::join_external(suite(), info, forged, anything, room.leaf_of("bob"));
  REQUIRE_MESSAGE(joined.ok(), joined.error().to_string());
  refused_unchanged(room.bob, wire(joined->commit), Errc::mls_invalid_credential);
  CHECK(room.bob.active());
  refused_unchanged(room.alice, wire(joined->commit), Errc::mls_invalid_credential);
  // Bob is still in, and still reads.
  auto hello = room.alice.protect(as_bytes("still here"));
  REQUIRE(hello.ok());
  auto got = room.bob.process(wire(*hello));
  REQUIRE(got.ok());
}

TEST_CASE("a committer's new leaf must bring a fresh encryption key (RFC 9420 §12.4.2), for members and the relay") {
  SecretRoom room;
  auto info_message = room.alice.group_info();
  REQUIRE(info_message.ok());
  auto observer = mls::PublicGroup::from_group_info(suite(), std::get<mls::GroupInfo>(wire(*info_message).body),
                                                    room.w.verifier->rules());
  REQUIRE_MESSAGE(observer.ok(), observer.error().to_string());
  const Bytes old_key = room.alice.tree().leaf(room.alice.own_leaf())->encryption_key;
  const auto context = codec::encode(room.alice.context());
  auto c = room.alice.commit({}, {}, kNow);
  REQUIRE(c.ok());
  auto pub = std::get<mls::PublicMessage>(wire(c->commit).body);
  std::get<mls::Commit>(pub.content.body).path->leaf_node.encryption_key = old_key;
  auto signature = mls::sign_content(suite(), mls::WireFormat::public_message, pub.content, context,
                                     room.w.people.at("alice").id.signature.private_key);
  REQUIRE(signature.ok());
  pub.auth.signature = *signature;
  auto seen = observer->observe(mls::MlsMessage{mls::ProtocolVersion::mls10, pub});
  REQUIRE_FALSE(seen.ok());
  CHECK(seen.error().code == Errc::mls_invalid_commit);
  CHECK(seen.error().message.find("old encryption key") != std::string::npos);
}
