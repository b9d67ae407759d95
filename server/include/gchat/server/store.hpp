#pragma once
// The relay's durable state behind one interface, so that SQLite (embedded default) and PostgreSQL
// (cluster) are interchangeable. A Store is used by one thread at a time (the storage writer); all
// calls between begin() and commit() form one transaction.
//
// Message ciphertexts are stored once per group with a per-group sequence; each member device has
// one cursor (acked_seq) per group, so a message costs one write however many members read it.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gchat/base/bytes.hpp"
#include "gchat/base/result.hpp"

namespace gchat::server {

using DeviceRef = std::int64_t;
using GroupRef = std::int64_t;

struct DeviceRecord {
  DeviceRef ref = 0;
  Bytes public_key;
  bool newly_registered = false;
};

struct GroupRecord {
  GroupRef ref = 0;
  Bytes group_id;
  std::uint64_t last_seq = 0;
};

struct MembershipRecord {
  GroupRef group = 0;
  Bytes group_id;
  std::uint64_t last_seq = 0;
  std::uint64_t acked_seq = 0;
  std::uint64_t joined_seq = 0;  // messages at or below this are not the member's to read
  std::uint32_t member_count = 0;  // set by memberships_of(); membership() (on the send path) leaves it 0
};

struct StoredMessage {
  std::uint64_t seq = 0;
  std::int32_t kind = 0;
  Bytes sender_key;
  Bytes payload;
  std::uint64_t created_ms = 0;
};

// Who a device belongs to, from its verified certificate chain (certificate mode).
struct DeviceIdentity {
  std::string agency_id;
  std::string user_id;
  std::int32_t clearance = 0;
  std::uint64_t user_serial = 0;
  // For the people directory: the device's certificate chain and the names it certifies. An empty
  // chain keeps what is stored.
  Bytes chain;
  std::string name_th, name_en;
};

struct AuditRow {
  std::uint64_t seq = 0;
  Bytes entry;  // canonical gchat.identity.v1.AuditEntry
  Bytes hash;
};

// An enrolment code's life on the relay: granted, redeemed by a device, issued by the administrator.
struct EnrolmentRecord {
  Bytes code_hash;
  std::string agency_id;
  std::string admin_id;
  Bytes grant;         // serialized gchat.identity.v1.EnrolmentGrant
  std::int64_t expires_at = 0;
  Bytes identity_key;  // empty until redeemed
  std::int64_t redeemed_ms = 0;
  Bytes certificate;   // serialized Signed UserCertificate, empty until issued
  Bytes issuer_chain;  // serialized AdminChain of the administrator who issued it
};

// A broadcast channel (certificate mode): the signed descriptor and its stream, the relay group of
// its subscriber devices (group_id = channel_id; no MLS state).
using ChannelRef = std::int64_t;
struct ChannelRecord {
  ChannelRef ref = 0;
  Bytes channel_id;
  std::string agency_id;
  std::int32_t level = 0;
  std::uint64_t version = 0;
  Bytes descriptor;    // serialized Signed ChannelDescriptor
  Bytes admin_chain;   // serialized AdminChain of its signer
  GroupRef stream = 0; // 0 until the first subscriber
  std::int64_t rekey_above = -1;  // posts need a key generation above this (a subscriber left at it)
};

// A subscriber device as publishers see it: what they verify before wrapping a key to it.
struct ChannelSubscriberRecord {
  DeviceRef device = 0;
  Bytes device_key;
  Bytes chain;         // serialized Chain, as the device presented it
  Bytes registration;  // serialized Signed ChannelKeyRegistration
};

struct KeyPackageRecord {
  Bytes data;
  bool last_resort = false;
};

// The certificate registry (certificate mode). A person's current user certificate: what
// FetchCertificate serves for the identity key (before authentication too), get_user answers and a
// renewal is checked against. Written by the acts that issue a certificate (issue_user,
// set_clearance, renew_user) and by a device authenticating with a newer one.
struct UserCertificateRecord {
  std::string agency_id;
  std::string user_id;
  Bytes identity_key;
  std::uint64_t serial = 0;
  std::int64_t not_before = 0;
  std::int64_t not_after = 0;
  std::string admin_id;  // the signer
  Bytes admin_key;       // the key that signed it: which of the signer's chains verifies it
  Bytes certificate;     // serialized Signed UserCertificate
  Bytes issuer_chain;    // serialized AdminChain of the signer, as it came with the certificate
  bool revoked = false;  // the person is revoked (set by mark_user_revoked, kept by every later write)
};

// An administrator's newest chain per signing key (the later administrator certificate wins), so
// that a renewed agency or administrator certificate reaches the devices whose certificates that
// administrator signed. Per key: a certificate signed by an earlier key needs that key's chain.
struct AdminChainRecord {
  std::string agency_id;
  std::string admin_id;
  Bytes admin_key;
  std::int64_t admin_not_after = 0;  // decides which chain is newest
  std::int64_t not_after = 0;        // the chain's earliest expiry (agency or administrator)
  Bytes chain;                       // serialized AdminChain
};

// A device of a person, as ListDevices shows it.
struct PersonDeviceRecord {
  DeviceRef ref = 0;
  Bytes public_key;
  Bytes chain;  // the chain it last authenticated with (empty when none is known)
  std::uint64_t registered_ms = 0;
  std::uint64_t last_seen_ms = 0;  // its last authentication (0: not since the relay recorded it)
  bool revoked = false;
};

// People and administrators whose certificates expire soon (the /metrics gauges).
struct ExpiryCounts {
  std::uint64_t users = 0;         // current certificates of people not revoked
  std::uint64_t admin_chains = 0;  // administrators, by their latest-expiring chain
};

class Store {
 public:
  virtual ~Store() = default;

  virtual Status begin() = 0;
  virtual Status commit() = 0;
  virtual void rollback() noexcept = 0;
  // Nested atomic step inside a transaction (SQL savepoint): one failed request leaves no trace.
  virtual Status savepoint() = 0;
  virtual Status release_savepoint() = 0;
  virtual void rollback_to_savepoint() noexcept = 0;

  // Devices.
  virtual Result<std::optional<DeviceRecord>> find_device(BytesView public_key) = 0;
  virtual Result<DeviceRecord> register_device(BytesView public_key, std::uint64_t now_ms) = 0;

  // Identities (certificate mode) and revocations.
  virtual Status set_device_identity(DeviceRef device, const DeviceIdentity& identity, std::uint64_t now_ms) = 0;
  // Registered devices, revoked or not.
  virtual Result<std::optional<std::pair<DeviceRef, DeviceIdentity>>> device_identity(BytesView public_key) = 0;
  virtual Result<std::vector<DeviceRef>> devices_of_user(const std::string& agency_id, const std::string& user_id) = 0;
  // The person's devices, revoked or not, oldest first; at most `limit`.
  virtual Result<std::vector<PersonDeviceRecord>> devices_of_person(const std::string& agency_id,
                                                                    const std::string& user_id,
                                                                    std::uint32_t limit) = 0;
  // Records a device's authentication (ListDevices' last_seen_ms).
  virtual Status note_device_seen(DeviceRef device, std::uint64_t now_ms) = 0;
  // People directory: chains of current devices whose agency is `agency_id` (all when empty) and
  // whose user id or names contain `text` (all when empty), by agency and user; at most `limit`.
  virtual Result<std::vector<Bytes>> find_people(const std::string& agency_id, const std::string& text,
                                                 std::uint32_t limit) = 0;
  virtual Status mark_device_revoked(DeviceRef device, std::uint64_t now_ms) = 0;
  virtual Result<Bytes> device_key(DeviceRef device) = 0;
  virtual Result<std::optional<Bytes>> latest_revocation_list() = 0;  // a serialized Signed
  virtual Status save_revocation_list(std::uint64_t number, BytesView signed_list) = 0;
  // Records an administrative act's id; false when it was applied before (a replay).
  virtual Result<bool> claim_admin_act(BytesView act_id, std::uint64_t now_ms) = 0;

  // Enrolment codes and user certificates.
  virtual Status add_enrolment(const EnrolmentRecord& record) = 0;
  virtual Result<std::optional<EnrolmentRecord>> find_enrolment(BytesView code_hash) = 0;
  virtual Status redeem_enrolment(BytesView code_hash, BytesView identity_key, std::uint64_t now_ms) = 0;
  virtual Result<std::vector<EnrolmentRecord>> pending_enrolments(const std::string& agency_id) = 0;
  virtual Status complete_enrolment(BytesView code_hash, BytesView certificate, BytesView issuer_chain) = 0;
  // Every user certificate the relay was given or shown, kept as history (the registry below says
  // which one is current).
  virtual Status save_user_certificate(const std::string& agency_id, const std::string& user_id, std::uint64_t serial,
                                       BytesView certificate) = 0;
  struct UserSummary {
    std::string user_id;
    std::int32_t clearance = 0;
    std::uint32_t devices = 0;
    std::uint32_t revoked_devices = 0;
    std::int64_t not_after = 0;  // of the current certificate; 0 when the registry has none
    std::uint64_t serial = 0;
    bool revoked = false;
  };
  virtual Result<std::vector<UserSummary>> users_of_agency(const std::string& agency_id) = 0;

  // The certificate registry. put_user_certificate makes `record` the person's current certificate
  // (the caller decides that it is newer); the revoked mark stays.
  virtual Status put_user_certificate(const UserCertificateRecord& record, std::uint64_t now_ms) = 0;
  virtual Result<std::optional<UserCertificateRecord>> current_user_certificate(
      const std::string& agency_id, const std::string& user_id) = 0;
  // The current certificate naming this identity key (the latest-expiring one, should two people share it).
  virtual Result<std::optional<UserCertificateRecord>> current_certificate_for_key(
      BytesView identity_key) = 0;
  virtual Status mark_user_revoked(const std::string& agency_id, const std::string& user_id,
                                   std::uint64_t now_ms) = 0;
  // Keeps `record` when it is the first chain of this administrator and key or its administrator
  // certificate expires later than the stored one's; true when it was kept.
  virtual Result<bool> put_admin_chain(const AdminChainRecord& record) = 0;
  // The newest chain of the administrator with this key (a serialized AdminChain).
  virtual Result<std::optional<Bytes>> admin_chain(const std::string& agency_id, const std::string& admin_id,
                                                   BytesView admin_key) = 0;
  // Certificates that have not expired at `now` and expire by `until` (Unix seconds).
  virtual Result<ExpiryCounts> count_expiring(std::int64_t now, std::int64_t until) = 0;

  // The audit log (hash chain and signed checkpoints; see gchat/identity/audit.hpp).
  virtual Result<std::optional<AuditRow>> last_audit_entry() = 0;
  virtual Status append_audit_entry(const AuditRow& row) = 0;
  virtual Status add_audit_checkpoint(std::uint64_t seq, BytesView signed_checkpoint) = 0;
  // The whole log, for verification (an offline, administrative read).
  virtual Result<std::vector<AuditRow>> read_audit_log() = 0;
  virtual Result<std::vector<Bytes>> read_audit_checkpoints() = 0;

  // Groups and membership.
  virtual Result<std::optional<GroupRecord>> find_group(BytesView group_id) = 0;
  virtual Result<GroupRecord> create_group(BytesView group_id, DeviceRef creator, std::uint64_t now_ms) = 0;
  // Adds with acked_seq = joined_seq = the group's current last_seq; existing members are kept as they are.
  virtual Status add_member(GroupRef group, DeviceRef device) = 0;
  virtual Status remove_member(GroupRef group, DeviceRef device) = 0;
  virtual Result<std::optional<MembershipRecord>> membership(GroupRef group, DeviceRef device) = 0;
  virtual Result<std::vector<MembershipRecord>> memberships_of(DeviceRef device) = 0;
  virtual Result<std::vector<Bytes>> member_keys(GroupRef group) = 0;
  virtual Result<std::vector<DeviceRef>> member_devices(GroupRef group) = 0;
  virtual Result<std::uint32_t> member_count(GroupRef group) = 0;

  // The public MLS state of a group (certificate mode) and its classification level.
  virtual Result<std::optional<Bytes>> group_state(GroupRef group) = 0;
  virtual Status set_group_state(GroupRef group, std::uint64_t epoch, BytesView state, std::int32_t level) = 0;
  // The level set with the group's state; nothing for a group without one.
  virtual Result<std::optional<std::int32_t>> group_level(GroupRef group) = 0;
  virtual Result<std::vector<GroupRef>> groups_of_device(DeviceRef device) = 0;
  virtual Result<std::optional<Bytes>> group_id_of(GroupRef group) = 0;

  // Messages.
  virtual Result<std::uint64_t> append_message(GroupRef group, std::int32_t kind, DeviceRef sender, BytesView payload,
                                               std::uint64_t now_ms) = 0;
  virtual Status set_acked(GroupRef group, DeviceRef device, std::uint64_t seq) = 0;
  // Up to `limit` messages with seq > after_seq, in order, stopping once their payloads reach
  // max_bytes (at least one message is returned when any exists).
  virtual Result<std::vector<StoredMessage>> read_messages(GroupRef group, std::uint64_t after_seq,
                                                           std::uint32_t limit, std::uint64_t max_bytes) = 0;
  // Deletes message bodies created before cutoff; sequence numbers are untouched.
  virtual Result<std::uint64_t> expire_messages(std::uint64_t cutoff_ms) = 0;

  // Channels.
  // Inserts a channel, or replaces descriptor, level and version of the one with this id.
  virtual Result<ChannelRef> put_channel(const ChannelRecord& channel) = 0;
  virtual Result<std::optional<ChannelRecord>> find_channel(BytesView channel_id) = 0;
  virtual Result<std::optional<ChannelRecord>> channel_by_ref(ChannelRef channel) = 0;
  virtual Result<std::optional<ChannelRecord>> channel_of_stream(GroupRef stream) = 0;
  virtual Result<std::vector<ChannelRecord>> all_channels() = 0;
  virtual Status set_channel_stream(ChannelRef channel, GroupRef stream) = 0;
  virtual Status set_channel_rekey_above(ChannelRef channel, std::int64_t generation) = 0;
  // Per person; false when already subscribed.
  virtual Result<bool> add_subscription(ChannelRef channel, const std::string& agency_id, const std::string& user_id,
                                        std::uint64_t now_ms) = 0;
  virtual Result<bool> remove_subscription(ChannelRef channel, const std::string& agency_id,
                                           const std::string& user_id) = 0;
  virtual Result<bool> is_subscribed(ChannelRef channel, const std::string& agency_id, const std::string& user_id) = 0;
  virtual Result<std::uint32_t> subscriber_count(ChannelRef channel) = 0;
  virtual Result<std::vector<ChannelRef>> subscriptions_of(const std::string& agency_id, const std::string& user_id) = 0;
  // Standing subscriptions of whole agencies (people cleared later join when their device connects)
  // and the people who unsubscribed themselves (a standing subscription leaves them out).
  virtual Status add_agency_subscription(ChannelRef channel, const std::string& agency_id, std::uint64_t now_ms) = 0;
  virtual Result<std::vector<ChannelRef>> agency_subscriptions(const std::string& agency_id) = 0;
  virtual Status set_opted_out(ChannelRef channel, const std::string& agency_id, const std::string& user_id,
                               bool opted_out) = 0;
  virtual Result<bool> opted_out(ChannelRef channel, const std::string& agency_id, const std::string& user_id) = 0;
  // A device's key for channel keys (replaces an earlier one) with the chain it authenticated with.
  virtual Status set_channel_device_key(DeviceRef device, BytesView registration, BytesView chain) = 0;
  // Devices of the stream with a registered key, not revoked, and no wrapped key of `generation`,
  // after the device `after`, in device order.
  virtual Result<std::vector<ChannelSubscriberRecord>> channel_work(ChannelRef channel, GroupRef stream,
                                                                    std::uint64_t generation, DeviceRef after,
                                                                    std::uint32_t limit) = 0;
  virtual Status put_channel_key(ChannelRef channel, std::uint64_t generation, DeviceRef device, BytesView wrapped,
                                 std::uint64_t now_ms) = 0;
  virtual Result<std::optional<Bytes>> channel_key(ChannelRef channel, std::uint64_t generation, DeviceRef device) = 0;
  // The epoch of a group's stored MLS state.
  virtual Result<std::optional<std::uint64_t>> group_epoch(GroupRef group) = 0;

  // Key packages.
  virtual Result<std::uint32_t> count_key_packages(DeviceRef device) = 0;
  virtual Status add_key_package(DeviceRef device, BytesView data) = 0;
  virtual Status set_last_resort_key_package(DeviceRef device, BytesView data) = 0;
  // Consumes one one-time package, or returns the last-resort one (not consumed), or nullopt.
  virtual Result<std::optional<KeyPackageRecord>> take_key_package(DeviceRef device) = 0;
  // Deletes all of a device's packages, the last-resort one too (they carry a chain it no longer uses).
  virtual Status delete_key_packages(DeviceRef device) = 0;
};

// Opens (creating and migrating as needed) a SQLite database in WAL mode with synchronous=FULL.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path);

}  // namespace gchat::server
