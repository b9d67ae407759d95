#pragma once
// A real MLS group, built with the project's own API, that the fuzz targets take their seeds from:
// eight people over five epochs — adds with and without the tree in the Welcome, an Update
// committed by reference, a Remove, an external PSK, application messages delivered out of
// order, proposals left pending, an external join — and every object the run produced (key
// packages, Welcomes, GroupInfos, ratchet trees, serialized member and relay states, the messages
// of each epoch).
//
// Randomness in the fuzz binaries is a fixed ChaCha20 stream (libsodium's randombytes is replaced
// before it starts), so the world is the same in every run and an input that crashes a target
// crashes it again on its own.

#include <cstdint>
#include <map>
#include <vector>

#include "gchat/mls/group.hpp"
#include "gchat/mls/public_group.hpp"

namespace fuzz {

inline constexpr std::uint64_t kNow = 1'800'000'000;

// Restarts the fixed random stream at the same place: each target calls it before running an
// input, so that what an input does does not depend on the inputs run before it.
void reset_randomness();

struct World {
  // What a joiner learned from a Welcome, kept so that a target can re-seal an altered GroupInfo
  // to it as a malicious committer would.
  struct Joiner {
    std::size_t person = 0;  // into people
    gchat::mls::EncryptedGroupSecrets entry;
    gchat::SecretBytes joiner_secret;
    gchat::SecretBytes psk_secret;
    gchat::SecretBytes welcome_secret;
  };
  struct State {
    std::size_t person = 0;
    gchat::Bytes bytes;  // Group::serialize()
  };

  World();

  const gchat::crypto::CipherSuite& suite;
  std::vector<gchat::mls::Identity> people;           // alice bob carol dave erin frank gina hank
  std::vector<gchat::mls::KeyPackageBundle> bundles;  // one per person; alice's, frank's and hank's unused
  std::vector<gchat::mls::ExternalPsk> external_psks;
  std::vector<gchat::Bytes> welcomes;  // encoded Welcomes (the last without the ratchet tree)
  std::vector<Joiner> joiners;
  std::vector<gchat::Bytes> group_infos;                       // encoded GroupInfos, one per epoch
  std::vector<gchat::Bytes> trees;                             // RatchetTree::encode(), one per epoch
  std::map<std::uint64_t, gchat::Bytes> contexts;              // encoded GroupContext, by epoch
  std::map<std::uint64_t, gchat::Bytes> epoch_authenticators;  // by epoch
  std::vector<State> states;                // members' states at several points of each epoch
  std::vector<gchat::Bytes> public_states;  // PublicGroup::serialize() of the relay's view, likewise
  std::map<std::uint64_t, std::vector<gchat::mls::MlsMessage>> messages;  // sent in each epoch, in order

  // The person whose signature key this is, or nullptr.
  const gchat::mls::Identity* person_with_key(gchat::BytesView signature_key) const;
  gchat::mls::KeyPackageBundle bundle(std::size_t person) const;  // a copy: joining consumes one
  const State& latest_state(std::size_t person) const;
};

const World& world();

// The ratchet_tree extension's data of a GroupInfo, or nullptr.
const gchat::Bytes* ratchet_tree_of(const gchat::mls::GroupInfo& info);

}  // namespace fuzz
