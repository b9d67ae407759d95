// The relay's view of a group: a PublicGroup follows every commit the members make, ending each
// epoch with the same GroupContext as they do, and refuses what they would refuse.
#include "gchat/mls/public_group.hpp"

#include <doctest/doctest.h>

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
