#pragma once
// Certificate mode: the relay's check of group creation and of every handshake message against the
// group's public MLS state (mls::PublicGroup), with the G-Chat credential and policy rules
// (identity::MemberVerifier). Membership in the store follows the commits it accepts, so the relay
// delivers a group's traffic only to the devices of verified members. Runs on the storage thread
// inside the request's savepoint: a refusal leaves the store as it was.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gchat/identity/mls_identity.hpp"
#include "gchat/mls/public_group.hpp"
#include "gchat/server/session.hpp"
#include "gchat/server/store.hpp"

namespace gchat::server {

class MlsGate {
 public:
  MlsGate(Bytes root_key, Bytes relay_key);

  identity::MemberVerifier& verifier() noexcept { return *verifier_; }

  struct PolicyChange {
    int old_level = 0, new_level = 0;
    std::size_t old_agencies = 0, new_agencies = 0;  // 0: every agency
    bool declassified = false;  // the level went down or more agencies are admitted
    std::string by;             // "agency/user" of the admin who proposed it
  };
  struct Applied {
    std::vector<DeviceRef> added;
    std::vector<DeviceRef> removed;
    bool commit = false;
    std::optional<PolicyChange> policy_change;
  };
  // A new group from its creator's GroupInfo (with the ratchet tree): every leaf verified, the
  // policy read, the creator a member. Adds the members.
  Result<Applied> create(Store& store, GroupRef group, BytesView group_id, BytesView group_info, BytesView creator_key,
                         Outcome& o);
  // A proposal or commit sent by `sender_key`. The state moves on; membership changes are returned
  // for the caller to apply once the message has its sequence number (apply()).
  Result<Applied> check_handshake(Store& store, GroupRef group, BytesView message, BytesView sender_key, Outcome& o);
  Status apply(Store& store, GroupRef group, const Applied& changes);
  // What other kinds must be: an APPLICATION message a PrivateMessage of application data (a
  // proposal or commit may not travel encrypted past the relay), a WELCOME a Welcome.
  static Status check_kind(pb::MessageKind kind, BytesView payload, Outcome& o);
  // Remove proposals, from the relay as the group's external sender, for the leaves of these
  // devices; each is observed into the state and returned encoded, to be stored and delivered.
  // `evidence` (a RemovalEvidence: the administrator's signed act and chain) travels in each
  // proposal's authenticated data: members commit no removal without it.
  Result<std::vector<Bytes>> propose_removes(Store& store, GroupRef group, const std::vector<Bytes>& device_keys,
                                             const identity::SigningKey& relay_key, BytesView evidence);
  // The classification level of a group in the store.
  Result<identity::Clearance> level_of(Store& store, GroupRef group);

 private:
  Result<mls::PublicGroup> load(Store& store, GroupRef group);
  Status save(Store& store, GroupRef group, const mls::PublicGroup& state);
  Result<DeviceRef> device_for_leaf(Store& store, const mls::LeafNode& leaf);

  std::shared_ptr<identity::MemberVerifier> verifier_;
};

}  // namespace gchat::server
