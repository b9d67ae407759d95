#pragma once
// What revoking a device and lowering a clearance share: the revocation list in force inside the
// transaction, taking devices out of their groups (with the relay's Remove proposals when an
// administrator's signed act is the evidence) and out of channel streams, and the one path that
// revokes devices for an administrator's revoke_device / revoke_user and for a person's
// RevokeOwnDevice. All of it runs on the storage thread inside the request's savepoint; what the
// online sessions must see is announced after the commit.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "channels.hpp"
#include "gchat/identity/v1/identity.pb.h"
#include "gchat/server/relay.hpp"
#include "gchat/server/store.hpp"

namespace gchat::server {

// The list in force inside this transaction (earlier acts of the same batch included).
Result<identity::v1::RevocationList> current_list(Store& store);

// The act behind an expulsion, as every member will check it (identity::RemovalEvidence).
Bytes removal_evidence(const identity::v1::AdminChain& admin, const identity::v1::Signed& act);

// Devices taken out of one group at once (no more deliveries), with the relay's Remove proposals
// for their leaves when there was evidence for them.
struct Expulsion {
  GroupRef group = 0;
  Bytes group_id;
  std::vector<std::pair<std::uint64_t, Bytes>> proposals;  // seq, encoded MLSMessage
  std::vector<DeviceRef> removed;
};
using Members = std::map<GroupRef, std::vector<std::pair<DeviceRef, Bytes>>>;

// Removes the devices from their groups. With `evidence` the relay, as each group's external
// sender, proposes the removal of their leaves; the proposals are stored like any handshake
// message, from the relay's own device record, and the next commit by any member applies them.
// Without it nothing is proposed (the person's own device commits the removals).
Result<std::vector<Expulsion>> expel(Store& store, Relay& relay, const Members& members, BytesView evidence);
// After the commit: the proposals go to the remaining members, the expelled devices leave.
void deliver(Relay& relay, const std::vector<Expulsion>& outs);

// Channel streams among a device's groups: a stream has no MLS state, its devices simply leave it.
class ChannelLeaves {
 public:
  // Whether `g` is a channel's stream; if so `d` will leave it.
  Result<bool> take(Store& store, GroupRef g, DeviceRef d);
  // Ends the person's subscriptions to the channels `ends` selects; their devices leave them.
  template <typename Ends>
  Status unsubscribe(Store& store, const std::string& agency, const std::string& user,
                     const std::vector<DeviceRef>& devices, Ends ends) {
    GCHAT_TRY(auto subscriptions, store.subscriptions_of(agency, user));
    for (ChannelRef ref : subscriptions) {
      GCHAT_TRY(auto c, store.channel_by_ref(ref));
      if (!c || !ends(*c)) continue;
      GCHAT_TRY(bool removed, store.remove_subscription(c->ref, agency, user));
      (void)removed;
      for (DeviceRef d : devices) add(*c, d);
    }
    return {};
  }
  Result<std::vector<ChannelDeparture>> apply(Store& store);

 private:
  void add(const ChannelRecord& channel, DeviceRef d);
  std::map<ChannelRef, std::pair<ChannelRecord, std::vector<DeviceRef>>> by_channel_;
};

// What a revocation changed, for announce() after the commit.
struct Revocation {
  identity::v1::Signed signed_list;
  identity::v1::RevocationList list;
  std::vector<DeviceRef> devices;
  std::vector<Expulsion> expelled;
  std::vector<ChannelDeparture> departures;
};

// Revokes `devices`: each is marked revoked and leaves its groups and channel streams at once
// (through expel(), so with the relay's proposals only when `evidence` is given); `user`, when
// set, also loses every subscription. `list` is the list in force with the caller's new entries;
// it is numbered, signed by the relay and stored.
Result<Revocation> revoke_devices(Store& store, Relay& relay, identity::v1::RevocationList list,
                                  const std::vector<DeviceRef>& devices, const identity::v1::UserRef* user,
                                  BytesView evidence);
// After the commit: the new list in force, the proposals and departures delivered, the revoked
// devices' connections closed with REVOKED and `reason`.
void announce(Relay& relay, const Revocation& revocation, const std::string& reason);

}  // namespace gchat::server
