// The relay's view of a group: a PublicGroup follows every commit the members make, ending each
// epoch with the same GroupContext as they do, and refuses what they would refuse.
#include "gchat/mls/public_group.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace gchat;
using namespace gchat::mls;

namespace {

constexpr std::uint64_t kNow = 1'800'000'000;

const crypto::CipherSuite& suite() { return **crypto::CipherSuite::from_id(crypto::kDefaultSuite); }

Identity identity(const std::string& name) {
  Identity id;
  id.credential.identity.assign(name.begin(), name.end());
  id.signature = suite().generate_signature_key();
  return id;
}

MlsMessage wire(const MlsMessage& m) {
  auto back = codec::decode_exact<MlsMessage>(codec::encode(m));
  REQUIRE(back.ok());
  return std::move(*back);
}

KeyPackageBundle package(const Identity& id) {
  auto b = make_key_package(suite(), id, kNow - 10, kNow + 1000);
  REQUIRE(b.ok());
  return std::move(*b);
}

void same_context(const PublicGroup& observer, const Group& member) {
  CHECK(codec::encode(observer.context()) == codec::encode(member.context()));
  CHECK(observer.tree().tree_hash() == member.tree().tree_hash());
}

}  // namespace

TEST_CASE("an observer follows adds, updates by reference, removes and an external join to the members' context") {
  const auto alice_id = identity("alice"), bob_id = identity("bob"), carol_id = identity("carol"),
             dave_id = identity("dave");
  auto alice = *Group::create(suite(), Bytes{'p'}, alice_id);
  auto info = alice.group_info();
  REQUIRE(info.ok());
  auto observer = PublicGroup::from_group_info(suite(), std::get<GroupInfo>(wire(*info).body), {});
  REQUIRE(observer.ok());
  same_context(*observer, alice);

  auto bob_kp = package(bob_id), carol_kp = package(carol_id);
  auto added = alice.commit({bob_kp.key_package, carol_kp.key_package}, {}, kNow);
  REQUIRE(added.ok());
  auto seen = observer->observe(wire(added->commit));
  REQUIRE(seen.ok());
  CHECK(seen->kind == PublicGroup::Observed::Kind::commit);
  CHECK(seen->added == std::vector<LeafIndex>{1, 2});
  same_context(*observer, alice);
  const auto welcome = std::get<Welcome>(wire(*added->welcome).body);
  auto bob = *Group::join(suite(), welcome, std::move(bob_kp), bob_id);
  auto carol = *Group::join(suite(), welcome, std::move(carol_kp), carol_id);

  // Bob proposes an Update; Alice commits it by reference.
  auto update = bob.propose_update();
  REQUIRE(update.ok());
  REQUIRE(observer->observe(wire(*update)).ok());
  REQUIRE(alice.process(wire(*update)).ok());
  REQUIRE(carol.process(wire(*update)).ok());
  auto committed = alice.commit({}, {}, kNow);
  REQUIRE(committed.ok());
  REQUIRE(observer->observe(wire(committed->commit)).ok());
  REQUIRE(bob.process(wire(committed->commit)).ok());
  REQUIRE(carol.process(wire(committed->commit)).ok());
  same_context(*observer, bob);

  // The state survives a round trip through storage.
  observer = PublicGroup::deserialize(suite(), observer->serialize(), {});
  REQUIRE(observer.ok());

  // Bob removes Carol.
  auto removal = bob.commit({}, {carol.own_leaf()}, kNow);
  REQUIRE(removal.ok());
  auto removed = observer->observe(wire(removal->commit));
  REQUIRE(removed.ok());
  REQUIRE(removed->removed == std::vector<LeafIndex>{2});
  CHECK(removed->removed_leaves.at(0).signature_key == carol_id.signature.public_key);
  REQUIRE(alice.process(wire(removal->commit)).ok());
  same_context(*observer, alice);

  // Dave joins by external commit from the GroupInfo.
  auto gi = alice.group_info();
  REQUIRE(gi.ok());
  auto joined = Group::join_external(suite(), std::get<GroupInfo>(wire(*gi).body), dave_id);
  REQUIRE(joined.ok());
  auto external = observer->observe(wire(joined->commit));
  REQUIRE(external.ok());
  CHECK(external->added.size() == 1);
  CHECK(observer->leaves_with_key(dave_id.signature.public_key) == external->added);
  same_context(*observer, joined->group);
}

TEST_CASE("an observer refuses forged, replayed and foreign handshake messages and stays where it was") {
  const auto alice_id = identity("alice"), bob_id = identity("bob");
  auto alice = *Group::create(suite(), Bytes{'p'}, alice_id);
  auto observer = *PublicGroup::from_group_info(suite(), std::get<GroupInfo>(wire(*alice.group_info()).body), {});
  auto bob_kp = package(bob_id);
  auto added = alice.commit({bob_kp.key_package}, {}, kNow);
  REQUIRE(added.ok());

  auto forged = wire(added->commit);
  auto& sig = std::get<PublicMessage>(forged.body).auth.signature;
  sig[0] ^= 0x01;
  auto r = observer.observe(forged);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::bad_signature);
  CHECK(observer.epoch() == 0);

  REQUIRE(observer.observe(wire(added->commit)).ok());
  auto replay = observer.observe(wire(added->commit));
  REQUIRE_FALSE(replay.ok());
  CHECK(replay.error().code == Errc::mls_wrong_epoch);

  auto app = alice.protect(as_bytes("secret"));
  REQUIRE(app.ok());
  CHECK_FALSE(observer.observe(wire(*app)).ok());

  // A validator that refuses bob refuses the commit that adds him.
  auto strict_alice = *Group::create(suite(), Bytes{'q'}, alice_id);
  GroupRules no_bob([&](const Credential& c, BytesView, CredentialUse) -> Status {
    if (c.identity == Bytes{'b', 'o', 'b'}) return fail(Errc::mls_invalid_credential, "not bob");
    return {};
  });
  auto strict = *PublicGroup::from_group_info(suite(), std::get<GroupInfo>(wire(*strict_alice.group_info()).body),
                                              no_bob);
  auto adds_bob = strict_alice.commit({package(bob_id).key_package}, {}, kNow);
  REQUIRE(adds_bob.ok());
  auto refused = strict.observe(wire(adds_bob->commit));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == Errc::mls_invalid_credential);
}

// --- Epoch 0's interim transcript hash (RFC 9420 §8.2, §11) -------------------------------------

namespace {

// opaque<V> (§2.1.2) for the short values a transcript hash covers.
Bytes opaque(BytesView v) {
  REQUIRE(v.size() < 16384);
  Bytes out;
  if (v.size() < 64) {
    out.push_back(static_cast<std::uint8_t>(v.size()));
  } else {
    out.push_back(static_cast<std::uint8_t>(0x40 | (v.size() >> 8)));
    out.push_back(static_cast<std::uint8_t>(v.size() & 0xff));
  }
  out.insert(out.end(), v.begin(), v.end());
  return out;
}

// interim_transcript_hash_[0] = Hash("" || InterimTranscriptHashInput { confirmation_tag }), the
// tag being the creator's over the empty confirmed transcript hash, as its GroupInfo carries it.
Bytes epoch0_interim(const GroupInfo& info) {
  REQUIRE(info.group_context.epoch == 0);
  REQUIRE(info.group_context.confirmed_transcript_hash.empty());
  return suite().hash(opaque(info.confirmation_tag));
}

// Replaces the one occurrence of `from` in `blob` by `to`.
Bytes patched(BytesView blob, const Bytes& from, const Bytes& to) {
  Bytes out(blob.begin(), blob.end());
  auto at = std::search(out.begin(), out.end(), from.begin(), from.end());
  REQUIRE(at != out.end());
  REQUIRE(std::search(at + 1, out.end(), from.begin(), from.end()) == out.end());
  at = out.erase(at, at + static_cast<std::ptrdiff_t>(from.size()));
  out.insert(at, to.begin(), to.end());
  return out;
}

}  // namespace

TEST_CASE("an external join at epoch 0 chains from the interim hash of the creator's confirmation tag") {
  const auto alice_id = identity("alice"), dave_id = identity("dave");
  auto alice = *Group::create(suite(), Bytes{'z'}, alice_id);
  // Saved and restored at epoch 0, the creator keeps its interim hash.
  alice = *Group::deserialize(suite(), alice.serialize(), alice_id);
  auto info_message = alice.group_info();
  REQUIRE(info_message.ok());
  const auto info = std::get<GroupInfo>(wire(*info_message).body);
  const Bytes interim = epoch0_interim(info);
  auto observer = PublicGroup::from_group_info(suite(), info, {});
  REQUIRE(observer.ok());

  auto joined = Group::join_external(suite(), info, dave_id);
  REQUIRE_MESSAGE(joined.ok(), joined.error().to_string());
  const auto commit = wire(joined->commit);
  // confirmed_transcript_hash_[1] = Hash(interim_[0] || ConfirmedTranscriptHashInput), computed
  // here from the commit's own fields.
  const auto& pub = std::get<PublicMessage>(commit.body);
  Bytes input = interim;
  input.insert(input.end(), {0x00, 0x01});  // wire_format = mls_public_message
  const Bytes content = codec::encode(pub.content);
  input.insert(input.end(), content.begin(), content.end());
  const Bytes signature = opaque(pub.auth.signature);
  input.insert(input.end(), signature.begin(), signature.end());
  CHECK(joined->group.context().confirmed_transcript_hash == suite().hash(input));

  // The creator verifies the joiner's confirmation tag over that hash; the relay follows.
  auto received = alice.process(commit);
  REQUIRE_MESSAGE(received.ok(), received.error().to_string());
  CHECK(received->added == std::vector<LeafIndex>{joined->group.own_leaf()});
  REQUIRE(observer->observe(commit).ok());
  CHECK(codec::encode(alice.context()) == codec::encode(joined->group.context()));
  same_context(*observer, alice);
  CHECK(Bytes(alice.epoch_authenticator().begin(), alice.epoch_authenticator().end()) ==
        Bytes(joined->group.epoch_authenticator().begin(), joined->group.epoch_authenticator().end()));
}

TEST_CASE("a member and a relay stored at epoch 0 with the old empty interim hash restore and still agree") {
  // Before RFC 9420 §11 was followed, the creator and the relay (from the creator's GroupInfo)
  // both kept an empty interim hash at epoch 0. Restored, they keep it, so they still agree on
  // the next epoch; from there on every hash is computed as the RFC says.
  const auto alice_id = identity("alice"), bob_id = identity("bob");
  auto fresh = *Group::create(suite(), Bytes{'o'}, alice_id);
  const auto info = std::get<GroupInfo>(wire(*fresh.group_info()).body);
  const auto fresh_observer = *PublicGroup::from_group_info(suite(), info, {});
  const Bytes current = opaque(epoch0_interim(info));
  const Bytes empty = opaque({});
  auto alice = Group::deserialize(suite(), patched(fresh.serialize().view(), current, empty), alice_id);
  REQUIRE_MESSAGE(alice.ok(), alice.error().to_string());
  auto observer = PublicGroup::deserialize(suite(), patched(fresh_observer.serialize(), current, empty), {});
  REQUIRE_MESSAGE(observer.ok(), observer.error().to_string());

  auto bob_kp = package(bob_id);
  auto added = alice->commit({bob_kp.key_package}, {}, kNow);
  REQUIRE(added.ok());
  REQUIRE(observer->observe(wire(added->commit)).ok());
  auto bob = Group::join(suite(), std::get<Welcome>(wire(*added->welcome).body), std::move(bob_kp), bob_id);
  REQUIRE_MESSAGE(bob.ok(), bob.error().to_string());
  same_context(*observer, *bob);
  // The relay checks the next epoch's signatures against the context it computed.
  auto update = bob->commit({}, {}, kNow);
  REQUIRE(update.ok());
  REQUIRE(observer->observe(wire(update->commit)).ok());
  REQUIRE(alice->process(wire(update->commit)).ok());
  same_context(*observer, *alice);
}
