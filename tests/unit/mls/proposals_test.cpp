// The proposals beyond Add, Update and Remove (RFC 9420 §12.1.4-12.1.8) and the rules around them:
// external senders (the relay proposing a Remove), GroupContextExtensions with
// required_capabilities, PreSharedKey (external and resumption), ReInit, a joiner's own Add, the
// external commit that replaces a device's old leaf, and the committer's choice among conflicting
// proposals. Every message crosses the wire encoding.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "gchat/mls/group.hpp"

using namespace gchat;
using namespace gchat::mls;

namespace {

constexpr std::uint64_t kNow = 1'800'000'000;
constexpr std::uint16_t kPrivateExtension = 0xff01;

const crypto::CipherSuite& suite() {
  return **crypto::CipherSuite::from_id(crypto::kDefaultSuite);
}

Identity identity(const std::string& name, std::vector<std::uint16_t> extensions = {}) {
  Identity id;
  id.credential.identity.assign(name.begin(), name.end());
  id.signature = suite().generate_signature_key();
  id.extra_capabilities.extensions = std::move(extensions);
  return id;
}

MlsMessage wire(const MlsMessage& m) {
  auto back = codec::decode_exact<MlsMessage>(codec::encode(m));
  REQUIRE(back.ok());
  return std::move(*back);
}

Bytes bytes_of(BytesView v) {
  return Bytes(v.begin(), v.end());
}

// A group of named members, all in one process; `send` delivers a message to everyone else.
struct Room {
  std::vector<Identity> ids;
  std::vector<Group> members;

  explicit Room(int n, std::vector<std::uint16_t> extensions = {}) {
    for (int i = 0; i < n; ++i) ids.push_back(identity("member-" + std::to_string(i), extensions));
    auto creator = Group::create(suite(), Bytes{'r', 'o', 'o', 'm'}, ids[0]);
    REQUIRE(creator.ok());
    members.push_back(std::move(*creator));
    std::vector<KeyPackage> kps;
    std::vector<KeyPackageBundle> bundles;
    for (int i = 1; i < n; ++i) {
      auto b = make_key_package(suite(), ids[static_cast<std::size_t>(i)], kNow - 10, kNow + 1000);
      REQUIRE(b.ok());
      kps.push_back(b->key_package);
      bundles.push_back(std::move(*b));
    }
    auto out = members[0].commit(kps, {}, kNow);
    REQUIRE(out.ok());
    const auto welcome = std::get<Welcome>(wire(*out->welcome).body);
    for (std::size_t i = 1; i < ids.size(); ++i) {
      auto g = Group::join(suite(), welcome, std::move(bundles[i - 1]), ids[i]);
      REQUIRE_MESSAGE(g.ok(), g.error().to_string());
      members.push_back(std::move(*g));
    }
  }

  // Every member but `from` (and those already out) processes `m`.
  std::vector<Received> send(std::size_t from, const MlsMessage& m) {
    const auto msg = wire(m);
    std::vector<Received> out;
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (i == from || !members[i].active()) continue;
      auto r = members[i].process(msg);
      REQUIRE_MESSAGE(r.ok(), "member " << i << ": " << r.error().to_string());
      out.push_back(std::move(*r));
    }
    return out;
  }

  void commit_and_send(std::size_t committer) {
    auto out = members[committer].commit({}, {}, kNow);
    REQUIRE_MESSAGE(out.ok(), out.error().to_string());
    send(committer, out->commit);
  }

  void check_agreement() {
    const Group* first = nullptr;
    for (const auto& g : members) {
      if (!g.active()) continue;
      if (!first) first = &g;
      CHECK(g.epoch() == first->epoch());
      CHECK(bytes_of(g.epoch_authenticator()) == bytes_of(first->epoch_authenticator()));
    }
  }
};

Extension external_senders_extension(const std::vector<ExternalSender>& senders) {
  return Extension{extension_type::external_senders, codec::encode(senders)};
}

}  // namespace

TEST_CASE("an external sender listed by the group proposes a Remove; a member commits it") {
  Room room(4);
  const auto relay = identity("relay");
  auto ext = room.members[0].propose_group_context_extensions(
      {external_senders_extension({ExternalSender{relay.signature.public_key, relay.credential}})});
  REQUIRE_MESSAGE(ext.ok(), ext.error().to_string());
  room.send(0, *ext);
  room.commit_and_send(1);
  room.check_agreement();
  REQUIRE(find_if(room.members[2].context().extensions.begin(), room.members[2].context().extensions.end(),
                  [](const Extension& e) { return e.extension_type == extension_type::external_senders; }) !=
          room.members[2].context().extensions.end());

  // The relay proposes removing member 3 (whose clearance, say, was lowered).
  const auto& g = room.members[0];
  auto proposal =
      external_proposal(suite(), g.group_id(), g.epoch(), 0, Proposal{Remove{room.members[3].own_leaf()}},
                        relay.signature.private_key);
  REQUIRE(proposal.ok());
  const auto msg = wire(*proposal);
  for (auto& member : room.members) {
    auto r = member.process(msg);
    REQUIRE_MESSAGE(r.ok(), r.error().to_string());
    CHECK(r->kind == Received::Kind::proposal);
    CHECK(r->sender_type == SenderType::external);
    CHECK(r->proposal == ProposalType::remove);
  }
  // Any member commits it (by reference, with the pending proposals); member 3 learns it is out.
  auto out = room.members[2].commit({}, {}, kNow);
  REQUIRE(out.ok());
  const auto received = room.send(2, out->commit);
  REQUIRE(received.size() == 3);
  CHECK(received[2].we_were_removed);
  CHECK_FALSE(room.members[3].active());
  room.check_agreement();
  CHECK(room.members[0].members().size() == 3);

  SUBCASE("an external sender that is not listed, a wrong key, and an Update are refused") {
    auto g0 = std::move(room.members[0]);
    auto unknown = external_proposal(suite(), g0.group_id(), g0.epoch(), 1, Proposal{Remove{1}},
                                     relay.signature.private_key);
    REQUIRE(unknown.ok());
    auto r = g0.process(wire(*unknown));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::mls_invalid_sender);

    const auto impostor = identity("impostor");
    auto forged = external_proposal(suite(), g0.group_id(), g0.epoch(), 0, Proposal{Remove{1}},
                                    impostor.signature.private_key);
    REQUIRE(forged.ok());
    r = g0.process(wire(*forged));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::bad_signature);

    CHECK_FALSE(external_proposal(suite(), g0.group_id(), g0.epoch(), 0, Proposal{Update{}},
                                  relay.signature.private_key)
                    .ok());
  }
}

TEST_CASE("external proposals are refused by a group without external senders") {
  Room room(2);
  const auto relay = identity("relay");
  auto proposal = external_proposal(suite(), room.members[0].group_id(), room.members[0].epoch(), 0,
                                    Proposal{Remove{1}}, relay.signature.private_key);
  REQUIRE(proposal.ok());
  auto r = room.members[0].process(wire(*proposal));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::mls_invalid_sender);
}

TEST_CASE("required_capabilities: refused when a member lacks them; newcomers must have them") {
  RequiredCapabilities required;
  required.extension_types = {kPrivateExtension};
  const Extension requirement{extension_type::required_capabilities, codec::encode(required)};

  SUBCASE("a member without the extension makes the proposal invalid") {
    Room room(3);  // nobody lists kPrivateExtension
    auto ext = room.members[0].propose_group_context_extensions({requirement});
    REQUIRE_FALSE(ext.ok());
    CHECK(ext.error().code == Errc::mls_unsupported_capability);
  }
  SUBCASE("everyone has it: the extension is set, and a newcomer without it cannot be added") {
    Room room(3, {kPrivateExtension});
    auto ext = room.members[1].propose_group_context_extensions({requirement});
    REQUIRE_MESSAGE(ext.ok(), ext.error().to_string());
    room.send(1, *ext);
    auto out = room.members[0].commit({}, {}, kNow);
    REQUIRE(out.ok());
    const auto received = room.send(0, out->commit);
    CHECK(received[0].extensions_changed);
    room.check_agreement();

    auto lacking = make_key_package(suite(), identity("newcomer"), kNow - 1, kNow + 100);
    REQUIRE(lacking.ok());
    auto refused = room.members[0].commit({lacking->key_package}, {}, kNow);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == Errc::mls_unsupported_capability);

    auto able = make_key_package(suite(), identity("able", {kPrivateExtension}), kNow - 1, kNow + 100);
    REQUIRE(able.ok());
    auto added = room.members[0].commit({able->key_package}, {}, kNow);
    REQUIRE_MESSAGE(added.ok(), added.error().to_string());
    room.send(0, added->commit);
    room.check_agreement();
  }
}

TEST_CASE("PreSharedKey proposals: external and resumption PSKs enter the key schedule") {
  Room room(3);
  const Bytes psk_id{'o', 'r', 'd', 'e', 'r', '-', '7'};
  for (std::size_t i = 0; i < 2; ++i) room.members[i].add_external_psk(psk_id, SecretBytes(Bytes(32, 0x42)));

  // Member 2 does not hold the PSK: it cannot follow the commit that injects it.
  auto proposal = room.members[0].propose_external_psk(psk_id);
  REQUIRE(proposal.ok());
  CHECK(room.members[1].process(wire(*proposal)).ok());
  CHECK(room.members[2].process(wire(*proposal)).ok());
  auto out = room.members[1].commit({}, {}, kNow);
  REQUIRE(out.ok());
  CHECK(room.members[0].process(wire(out->commit)).ok());
  auto lost = room.members[2].process(wire(out->commit));
  REQUIRE_FALSE(lost.ok());
  CHECK(lost.error().code == Errc::mls_unknown_psk);
  CHECK(bytes_of(room.members[0].epoch_authenticator()) == bytes_of(room.members[1].epoch_authenticator()));
  CHECK(room.members[0].epoch() == 2);

  // A resumption PSK of the previous epoch, which both remaining members still hold.
  auto resumption = room.members[1].propose_resumption_psk(room.members[1].epoch() - 1);
  REQUIRE_MESSAGE(resumption.ok(), resumption.error().to_string());
  CHECK(room.members[0].process(wire(*resumption)).ok());
  auto out2 = room.members[0].commit({}, {}, kNow);
  REQUIRE(out2.ok());
  CHECK(room.members[1].process(wire(out2->commit)).ok());
  CHECK(bytes_of(room.members[0].epoch_authenticator()) == bytes_of(room.members[1].epoch_authenticator()));

  // Epochs older than the kept window, and PSKs nobody holds, cannot be proposed.
  for (std::size_t i = 0; i < Group::kResumptionEpochs; ++i) {
    auto next = room.members[0].commit({}, {}, kNow);
    REQUIRE(next.ok());
    REQUIRE(room.members[1].process(wire(next->commit)).ok());
  }
  auto too_old = room.members[0].propose_resumption_psk(0);
  REQUIRE_FALSE(too_old.ok());
  CHECK(too_old.error().code == Errc::mls_unknown_psk);
  CHECK(room.members[0].propose_external_psk(Bytes{'n', 'o'}).error().code == Errc::mls_unknown_psk);

  // The external PSK store survives serialization.
  auto restored = Group::deserialize(suite(), room.members[0].serialize().view(), room.ids[0]);
  REQUIRE(restored.ok());
  CHECK(restored->propose_external_psk(psk_id).ok());
}

TEST_CASE("a committed ReInit closes the group for sending; it waits while other proposals are pending") {
  Room room(3);
  ReInit reinit;
  reinit.group_id = Bytes{'n', 'e', 'w'};
  reinit.cipher_suite = suite().id();
  auto proposal = room.members[0].propose_reinit(reinit);
  REQUIRE(proposal.ok());
  room.send(0, *proposal);
  // Another proposal is pending too: the committer commits that one and leaves the ReInit.
  auto update = room.members[2].propose_update();
  REQUIRE(update.ok());
  room.send(2, *update);
  auto first = room.members[1].commit({}, {}, kNow);
  REQUIRE(first.ok());
  const auto received = room.send(1, first->commit);
  CHECK_FALSE(received[0].reinit);
  CHECK_FALSE(room.members[1].pending_reinit());

  // Proposed again in a quiet epoch, it is committed alone.
  proposal = room.members[0].propose_reinit(reinit);
  REQUIRE(proposal.ok());
  room.send(0, *proposal);
  auto second = room.members[1].commit({}, {}, kNow);
  REQUIRE(second.ok());
  const auto after = room.send(1, second->commit);
  REQUIRE(after[0].reinit);
  CHECK(after[0].reinit->group_id == reinit.group_id);
  room.check_agreement();
  for (auto& g : room.members) {
    REQUIRE(g.pending_reinit());
    auto m = g.protect(as_bytes(std::string_view("after the end")));
    REQUIRE_FALSE(m.ok());
    CHECK(m.error().code == Errc::mls_group_reinitialized);
    CHECK(g.commit({}, {}, kNow).error().code == Errc::mls_group_reinitialized);
  }
  auto restored = Group::deserialize(suite(), room.members[2].serialize().view(), room.ids[2]);
  REQUIRE(restored.ok());
  CHECK(restored->pending_reinit());
}

TEST_CASE("a joiner proposes its own Add; a member commits it and the joiner enters by Welcome") {
  Room room(2);
  const auto newcomer = identity("newcomer");
  auto kp = make_key_package(suite(), newcomer, kNow - 1, kNow + 100);
  REQUIRE(kp.ok());
  auto proposal = new_member_proposal(suite(), room.members[0].group_id(), room.members[0].epoch(),
                                      kp->key_package, newcomer.signature.private_key);
  REQUIRE(proposal.ok());
  for (auto& g : room.members) {
    auto r = g.process(wire(*proposal));
    REQUIRE_MESSAGE(r.ok(), r.error().to_string());
    CHECK(r->sender_type == SenderType::new_member_proposal);
  }
  auto out = room.members[1].commit({}, {}, kNow);
  REQUIRE(out.ok());
  REQUIRE(out->welcome);
  room.send(1, out->commit);
  auto joined = Group::join(suite(), std::get<Welcome>(wire(*out->welcome).body), std::move(*kp), newcomer);
  REQUIRE_MESSAGE(joined.ok(), joined.error().to_string());
  CHECK(bytes_of(joined->epoch_authenticator()) == bytes_of(room.members[0].epoch_authenticator()));

  // Signed by anyone but the key package's owner, the same proposal is refused.
  const auto other = identity("other");
  auto kp2 = make_key_package(suite(), identity("someone"), kNow - 1, kNow + 100);
  REQUIRE(kp2.ok());
  auto forged = new_member_proposal(suite(), room.members[0].group_id(), room.members[0].epoch(),
                                    kp2->key_package, other.signature.private_key);
  REQUIRE(forged.ok());
  CHECK(room.members[0].process(wire(*forged)).error().code == Errc::bad_signature);
}

TEST_CASE("a device that lost its state rejoins by an external commit replacing its old leaf") {
  Room room(4);
  const LeafIndex old_leaf = room.members[2].own_leaf();
  auto info = room.members[0].group_info();
  REQUIRE(info.ok());
  const auto group_info = std::get<GroupInfo>(wire(*info).body);

  // Replacing somebody else's leaf is refused before anything is sent.
  auto wrong = Group::join_external(suite(), group_info, room.ids[2], accept_basic_credentials,
                                    room.members[1].own_leaf());
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().code == Errc::mls_invalid_proposal);

  auto rejoined = Group::join_external(suite(), group_info, room.ids[2], accept_basic_credentials, old_leaf);
  REQUIRE_MESSAGE(rejoined.ok(), rejoined.error().to_string());
  const auto received = room.send(99, rejoined->commit);  // every current member, the old device too
  CHECK(received[2].we_were_removed);
  CHECK(received[0].removed == std::vector<LeafIndex>{old_leaf});
  room.members[2] = std::move(rejoined->group);
  room.check_agreement();
  CHECK(room.members[0].members().size() == 4);

  // The rejoined device sends and the others read.
  auto m = room.members[2].protect(as_bytes(std::string_view("กลับมาแล้ว")));
  REQUIRE(m.ok());
  const auto opened = room.send(2, *m);
  CHECK(std::string(opened[0].application_data.begin(), opened[0].application_data.end()) == "กลับมาแล้ว");
}

TEST_CASE("the committer chooses a valid list: a Remove wins over an Update, duplicate Adds go once") {
  Room room(4);
  auto update = room.members[3].propose_update();
  REQUIRE(update.ok());
  room.send(3, *update);
  auto remove = room.members[1].propose_remove(room.members[3].own_leaf());
  REQUIRE(remove.ok());
  room.send(1, *remove);
  const auto newcomer = identity("newcomer");
  auto kp = make_key_package(suite(), newcomer, kNow - 1, kNow + 100);
  REQUIRE(kp.ok());
  for (std::size_t proposer : {0u, 1u}) {
    auto add = room.members[proposer].propose_add(kp->key_package, kNow);
    REQUIRE(add.ok());
    room.send(proposer, *add);
  }
  auto out = room.members[2].commit({}, {}, kNow);
  REQUIRE_MESSAGE(out.ok(), out.error().to_string());
  const auto received = room.send(2, out->commit);
  CHECK(received[0].updated.empty());
  CHECK(received[0].removed == std::vector<LeafIndex>{3});
  CHECK(received[0].added.size() == 1);
  room.check_agreement();
}

TEST_CASE("key packages with an over-long lifetime are refused") {
  auto kp = make_key_package(suite(), identity("long"), kNow, kNow + kMaxKeyPackageLifetime + 1);
  REQUIRE(kp.ok());
  auto st = validate_key_package(suite(), kp->key_package, kNow + 1);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == Errc::mls_invalid_key_package);
}

TEST_CASE("the lifetime cap is this client's policy for what it adds, not a rule for others' proposals") {
  // Other implementations publish key packages valid up to the end of time, or expired by now.
  Room room(3);
  const auto forever = identity("forever"), expired = identity("expired");
  auto forever_kp = make_key_package(suite(), forever, 0, ~std::uint64_t{0});
  auto expired_kp = make_key_package(suite(), expired, kNow - 100, kNow - 10);
  REQUIRE(forever_kp.ok());
  REQUIRE(expired_kp.ok());
  for (const auto* kp : {&forever_kp->key_package, &expired_kp->key_package}) {
    CHECK(validate_key_package(suite(), *kp, std::nullopt).ok());  // the RFC's checks
    CHECK(validate_key_package(suite(), *kp, kNow).error().code == Errc::mls_invalid_key_package);
  }
  CHECK(room.members[0].propose_add(forever_kp->key_package, kNow).error().code == Errc::mls_invalid_key_package);
  CHECK(room.members[0].commit({expired_kp->key_package}, {}, kNow).error().code == Errc::mls_invalid_key_package);

  // Proposed by their owners, every member caches them; a committer leaves them out of its
  // commit, which everybody follows.
  for (auto* bundle : {&*forever_kp, &*expired_kp}) {
    const auto& owner = bundle == &*forever_kp ? forever : expired;
    auto proposal = new_member_proposal(suite(), room.members[0].group_id(), room.members[0].epoch(),
                                        bundle->key_package, owner.signature.private_key);
    REQUIRE(proposal.ok());
    room.send(99, *proposal);
  }
  auto out = room.members[1].commit({}, {}, kNow);
  REQUIRE_MESSAGE(out.ok(), out.error().to_string());
  CHECK_FALSE(out->welcome);
  const auto received = room.send(1, out->commit);
  CHECK(received[0].added.empty());
  room.check_agreement();
}

TEST_CASE("a flood of valid proposals in one epoch stops at the bound, and the state stops growing") {
  Room room(3);
  auto& sender = room.members[1];
  auto& receiver = room.members[0];
  // PSK proposals are cheap to make and each is valid on its own.
  sender.add_external_psk(Bytes{'k'}, SecretBytes(Bytes(32, 7)));
  for (std::size_t i = 0; i < kMaxPendingProposals; ++i) {
    auto p = sender.propose_external_psk(Bytes{'k'});
    REQUIRE(p.ok());
    REQUIRE(receiver.process(wire(*p)).ok());
  }
  auto extra = sender.propose_external_psk(Bytes{'k'});
  REQUIRE_FALSE(extra.ok());
  CHECK(extra.error().code == Errc::mls_invalid_proposal);
  // Another member, who has not seen the flood, proposes once more: the receiver refuses it and
  // keeps nothing.
  auto late = room.members[2].propose_resumption_psk(room.members[2].epoch());
  REQUIRE(late.ok());
  const auto before = receiver.serialize();
  auto r = receiver.process(wire(*late));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::mls_invalid_proposal);
  CHECK(receiver.serialize() == before);
  CHECK(receiver.pending_proposals().size() == kMaxPendingProposals);
}
