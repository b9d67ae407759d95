#include "world.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <string>

#include "fuzz.hpp"
#include "gchat/mls/key_schedule.hpp"

using namespace gchat;
using namespace gchat::mls;

namespace fuzz {

namespace {

// --- Fixed randomness ------------------------------------------------------------------------

constexpr std::uint64_t kInputStream = std::uint64_t{1} << 40;  // where each input's randomness starts
std::uint64_t stream_block = 0;

void fixed_buf(void* const out, const std::size_t size) {
  static constexpr std::array<unsigned char, crypto_stream_chacha20_KEYBYTES> key{'g', 'c', 'h', 'a', 't',
                                                                                  '-', 'f', 'u', 'z', 'z'};
  std::array<unsigned char, crypto_stream_chacha20_NONCEBYTES> nonce{};
  const std::uint64_t n = stream_block++;
  std::memcpy(nonce.data(), &n, sizeof n);
  crypto_stream_chacha20(static_cast<unsigned char*>(out), size, nonce.data(), key.data());
}
std::uint32_t fixed_random() {
  std::uint32_t v = 0;
  fixed_buf(&v, sizeof v);
  return v;
}
const char* fixed_name() {
  return "gchat-fuzz-fixed-stream";
}
randombytes_implementation fixed_stream = {fixed_name, fixed_random, nullptr, nullptr, fixed_buf, nullptr};
// Before main, so before anything calls sodium_init().
[[maybe_unused]] const bool installed = [] { return randombytes_set_implementation(&fixed_stream) == 0; }();

// --- Building the world ----------------------------------------------------------------------

template <typename T>
T must(Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "world: %s: %s\n", what, r.error().to_string().c_str());
    fuzz_fail("cannot build the fuzz world");
  }
  return std::move(r).value();
}

std::uint64_t epoch_of(const MlsMessage& m) {
  if (const auto* pub = std::get_if<PublicMessage>(&m.body)) return pub->content.epoch;
  if (const auto* priv = std::get_if<PrivateMessage>(&m.body)) return priv->epoch;
  fuzz_fail("not a message of a group's epoch");
}

Bytes bytes_of(const SecretBytes& s) {
  return Bytes(s.view().begin(), s.view().end());
}

// What a message looks like after the wire: encoded and decoded again.
MlsMessage wire(const MlsMessage& m) {
  return must(codec::decode_exact<MlsMessage>(codec::encode(m)), "re-decode");
}

}  // namespace

void reset_randomness() {
  stream_block = kInputStream;
}

const Bytes* ratchet_tree_of(const GroupInfo& info) {
  for (const auto& e : info.extensions) {
    if (e.extension_type == extension_type::ratchet_tree) return &e.extension_data;
  }
  return nullptr;
}

World::World() : suite(**crypto::CipherSuite::from_id(crypto::kDefaultSuite)) {
  stream_block = 0;
  const char* names[] = {"alice", "bob", "carol", "dave", "erin", "frank", "gina", "hank"};
  for (std::size_t i = 0; i < std::size(names); ++i) {
    Identity id;
    id.credential.identity.assign(names[i], names[i] + std::strlen(names[i]));
    id.signature =
        must(suite.signature_key_from_private(Bytes(32, static_cast<std::uint8_t>(0xa0 + i))), "key");
    bundles.push_back(must(make_key_package(suite, id, kNow - 3600, kNow + 30 * 24 * 3600), "key package"));
    people.push_back(std::move(id));
  }
  external_psks.push_back({Bytes{'p', 's', 'k', '-', '1'}, SecretBytes(Bytes(32, 0x77))});
  enum { alice, bob, carol, dave, erin, frank, gina };

  // The relay may send proposals from outside (external_senders); required_capabilities is there
  // so that restored states and GroupInfos carry one.
  const auto relay = must(suite.signature_key_from_private(Bytes(32, 0x99)), "relay key");
  Credential relay_credential;
  relay_credential.identity = {'r', 'e', 'l', 'a', 'y'};
  const std::vector<Extension> extensions{
      {extension_type::external_senders,
       codec::encode(std::vector<ExternalSender>{{relay.public_key, relay_credential}})},
      {extension_type::required_capabilities, codec::encode(RequiredCapabilities{})}};

  std::map<std::size_t, Group> members;
  members.emplace(
      alice,
      must(Group::create(suite, Bytes{'w', 'o', 'r', 'l', 'd'}, people[alice], {}, extensions), "create"));
  Group& a = members.at(alice);
  auto info_of = [&](const Group& g) {
    return std::get<GroupInfo>(wire(must(g.group_info(), "group info")).body);
  };
  PublicGroup relay_view = must(PublicGroup::from_group_info(suite, info_of(a), {}), "relay view");

  auto snapshot_epoch = [&] {
    group_infos.push_back(codec::encode(info_of(a)));
    trees.push_back(a.tree().encode());
    contexts[a.epoch()] = codec::encode(a.context());
    epoch_authenticators[a.epoch()] = Bytes(a.epoch_authenticator().begin(), a.epoch_authenticator().end());
  };
  auto save_states = [&] {
    for (const auto& [person, g] : members) states.push_back({person, bytes_of(g.serialize())});
    public_states.push_back(relay_view.serialize());
  };
  // Sends `m` from the member at `from` to every other member and to the relay, except those in
  // `late` (they get it later, or never).
  auto send = [&](std::size_t from, const MlsMessage& sent, std::vector<std::size_t> late = {}) {
    const MlsMessage m = wire(sent);
    messages[epoch_of(m)].push_back(m);
    if (std::holds_alternative<PublicMessage>(m.body)) must(relay_view.observe(m), "relay observes");
    for (auto& [person, g] : members) {
      if (person == from || std::find(late.begin(), late.end(), person) != late.end()) continue;
      must(g.process(m), "process");
    }
  };
  auto join = [&](std::size_t person, const MlsMessage& welcome_message, JoinOptions options) {
    const Welcome welcome = std::get<Welcome>(wire(welcome_message).body);
    KeyPackageBundle b = bundle(person);
    const Bytes ref = key_package_ref(suite, b.key_package);
    const GroupSecrets secrets =
        must(open_group_secrets(suite, welcome, ref, b.init_private_key), "group secrets");
    std::vector<PskInput> psks;
    for (const auto& id : secrets.psks) psks.push_back({id, external_psks.front().secret});
    Joiner j;
    j.person = person;
    for (const auto& e : welcome.secrets) {
      if (e.new_member == ref) j.entry = e;
    }
    j.joiner_secret = SecretBytes(secrets.joiner_secret);
    j.psk_secret = must(psk_secret(suite, psks), "psk secret");
    j.welcome_secret = must(welcome_secret(suite, secrets.joiner_secret, j.psk_secret), "welcome secret");
    joiners.push_back(std::move(j));
    options.external_psks = &external_psks;
    members.emplace(person, must(Group::join(suite, welcome, std::move(b), people[person], options), "join"));
  };

  // Epoch 0 -> 1: alice adds bob and carol.
  snapshot_epoch();
  save_states();
  auto added = must(a.commit({bundles[bob].key_package, bundles[carol].key_package}, {}, kNow), "commit 1");
  send(alice, added.commit);
  welcomes.push_back(codec::encode(std::get<Welcome>(added.welcome->body)));
  join(bob, *added.welcome, {});
  join(carol, *added.welcome, {});

  // Epoch 1: bob proposes an Update; alice sends three messages, bob reads the third then the
  // first (the second's key stays retained), carol reads none; carol commits the Update.
  snapshot_epoch();
  send(bob, must(members.at(bob).propose_update(), "update"));
  std::vector<MlsMessage> notes;
  for (const char* text : {"one", "two", "three"})
    notes.push_back(wire(must(a.protect(as_bytes(text)), "protect")));
  for (const auto& n : notes) messages[1].push_back(n);
  must(members.at(bob).process(notes[2]), "bob reads three");
  must(members.at(bob).process(notes[0]), "bob reads one");
  save_states();
  send(carol, must(members.at(carol).commit({}, {}, kNow), "commit 2").commit);

  // Epoch 2: everyone holds an external PSK; alice proposes it, then adds dave and erin and
  // removes carol in one commit (its Welcome names the PSK).
  snapshot_epoch();
  for (auto& [person, g] : members)
    g.add_external_psk(external_psks.front().id, external_psks.front().secret.clone());
  send(alice, must(a.propose_external_psk(external_psks.front().id), "psk proposal"));
  save_states();
  auto changed =
      must(a.commit({bundles[dave].key_package, bundles[erin].key_package}, {2}, kNow), "commit 3");
  send(alice, changed.commit);
  welcomes.push_back(codec::encode(std::get<Welcome>(changed.welcome->body)));
  join(dave, *changed.welcome, {});
  join(erin, *changed.welcome, {});
  // Carol is out: her last state is inactive.
  states.push_back({carol, bytes_of(members.at(carol).serialize())});
  members.erase(carol);

  // Epoch 3: erin writes, dave proposes an Update; bob commits it and adds gina with a Welcome
  // that leaves the tree out (gina is given it).
  snapshot_epoch();
  send(erin, must(members.at(erin).protect(as_bytes("from erin")), "protect"), {bob});
  send(dave, must(members.at(dave).propose_update(), "update"));
  save_states();
  CommitOptions no_tree;
  no_tree.ratchet_tree_in_welcome = false;
  auto grown = must(members.at(bob).commit({bundles[gina].key_package}, {}, kNow, no_tree), "commit 4");
  send(bob, grown.commit);
  welcomes.push_back(codec::encode(std::get<Welcome>(grown.welcome->body)));
  JoinOptions with_tree;
  with_tree.ratchet_tree = members.at(bob).tree().encode();
  join(gina, *grown.welcome, with_tree);

  // Epoch 4: gina writes; frank joins from the GroupInfo by an external commit.
  snapshot_epoch();
  send(gina, must(members.at(gina).protect(as_bytes("from gina")), "protect"), {dave});
  save_states();
  auto external = must(Group::join_external(suite, info_of(a), people[frank]), "external join");
  send(frank, external.commit);
  members.emplace(frank, std::move(external.group));

  // Epoch 5.
  snapshot_epoch();
  save_states();
}

const Identity* World::person_with_key(BytesView signature_key) const {
  for (const auto& p : people) {
    if (std::equal(p.signature.public_key.begin(), p.signature.public_key.end(), signature_key.begin(),
                   signature_key.end())) {
      return &p;
    }
  }
  return nullptr;
}

KeyPackageBundle World::bundle(std::size_t person) const {
  const auto& b = bundles.at(person);
  return KeyPackageBundle{b.key_package, b.init_private_key.clone(), b.encryption_private_key.clone()};
}

const World::State& World::latest_state(std::size_t person) const {
  const State* found = nullptr;
  for (const auto& s : states) {
    if (s.person == person) found = &s;
  }
  if (!found) fuzz_fail("no state of that person");
  return *found;
}

const World& world() {
  static const World w;
  return w;
}

}  // namespace fuzz
