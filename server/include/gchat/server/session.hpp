#pragma once
// One authenticated (or authenticating) device connection: the relay protocol v1 over any
// transport. All state is touched only on the session's strand; the public entry points that other
// threads call (offer_live, joined_group, left_group, shutdown) post to it.
//
// Delivery: per group the session keeps `delivered`, the highest sequence pushed on this
// connection. A live message is pushed directly only when it is exactly delivered + 1 and the send
// queue has room; otherwise the group is marked for catch-up, and the session reads the missing
// messages from the store in order when its queue has drained. A slow reader therefore costs a
// bounded queue, never unbounded memory, and nobody else waits for it.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "gchat/base/bytes.hpp"
#include "gchat/identity/verify.hpp"
#include "gchat/relay/v1/relay.pb.h"
#include "gchat/server/rate_limiter.hpp"
#include "gchat/server/store.hpp"

namespace gchat::server {

class Relay;
struct CertificateRecords;
namespace pb = gchat::relay::v1;

// The result of a storage request as the session sees it.
struct Outcome {
  Status status;                    // overall: the request's own status, or the commit's failure
  pb::ErrorCode code = pb::ERROR_CODE_UNSPECIFIED;  // set by requests that fail for a protocol reason
  std::string message;
  std::function<void()> after_commit;  // runs on the storage thread, in commit order
};

// Fails a storage request for a protocol reason the device is told.
inline Status reject(Outcome& o, pb::ErrorCode code, std::string message) {
  o.code = code;
  o.message = std::move(message);
  return fail(Errc::invalid_argument, o.message);
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Relay& relay, boost::asio::any_io_executor strand);
  virtual ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Thread-safe.
  void offer_live(GroupRef group, std::uint64_t seq, std::shared_ptr<const std::string> frame);
  void joined_group(GroupRef group, Bytes group_id, std::uint64_t joined_seq);
  void left_group(GroupRef group);
  // Sends a frame the relay pushes on its own (channel keys and notices).
  void push(std::shared_ptr<const std::string> frame);
  void shutdown();
  // Tells the device why and closes the connection (a revoked device, for one).
  void close_with(pb::ErrorCode code, std::string message);

 protected:
  // Called by the transport, on the strand.
  void on_open();
  void on_frame(BytesView data, bool binary);
  void on_write_done(std::size_t bytes);
  void on_closed();
  bool read_paused() const noexcept { return read_paused_; }
  void refuse_and_close(pb::ErrorCode code, const std::string& message);

  // Transport hooks, called on the strand.
  virtual void start_write(const std::string& frame) = 0;
  virtual void start_close() = 0;
  virtual void resume_read() = 0;

  Relay& relay() noexcept { return relay_; }

  boost::asio::any_io_executor strand_;

 private:
  enum class State { awaiting_hello, awaiting_auth, authenticated, closing, closed };

  struct GroupCursor {
    Bytes group_id;
    std::uint64_t delivered = 0;
    bool catchup_in_flight = false;
  };

  void dispatch(const pb::ClientFrame& frame);
  void handle_hello(std::uint64_t rid, const pb::Hello& m);
  void handle_authenticate(std::uint64_t rid, const pb::Authenticate& m);
  // Whether the relay's list revokes the Hello's device key, or the person or certificate its
  // (unverified) chain names.
  bool revoked_device_or_person(BytesView chain) const;
  void handle_create_group(std::uint64_t rid, const pb::CreateGroup& m);
  void create_verified_group(std::uint64_t rid, const pb::CreateGroup& m);
  void handle_membership(std::uint64_t rid, const Bytes& group_id, const google::protobuf::RepeatedPtrField<std::string>& keys,
                         bool add);
  void handle_list_groups(std::uint64_t rid);
  void handle_send(std::uint64_t rid, const pb::SendMessage& m);
  void handle_ack(std::uint64_t rid, const pb::Ack& m);
  void handle_fetch(std::uint64_t rid, const pb::Fetch& m);
  void handle_upload_key_packages(std::uint64_t rid, const pb::UploadKeyPackages& m);
  void handle_fetch_key_package(std::uint64_t rid, const pb::FetchKeyPackage& m);
  void handle_fetch_user_key_packages(std::uint64_t rid, const pb::FetchUserKeyPackages& m);
  void handle_find_people(std::uint64_t rid, const pb::FindPeople& m);
  void handle_submit_admin_act(std::uint64_t rid, const pb::SubmitAdminAct& m);
  void handle_fetch_revocations(std::uint64_t rid);
  // A person's current certificate and own devices (session_identity.cpp).
  void handle_fetch_certificate(std::uint64_t rid, const pb::FetchCertificate& m);
  void handle_list_devices(std::uint64_t rid);
  void handle_revoke_own_device(std::uint64_t rid, const pb::RevokeOwnDevice& m);
  // Broadcast channels (session_channels.cpp).
  void handle_list_channels(std::uint64_t rid);
  void handle_subscribe(std::uint64_t rid, const pb::Subscribe& m);
  void handle_register_channel_key(std::uint64_t rid, const pb::RegisterChannelKey& m);
  void handle_fetch_channel_work(std::uint64_t rid, const pb::FetchChannelWork& m);
  void handle_put_channel_keys(std::uint64_t rid, const pb::PutChannelKeys& m);
  void handle_fetch_channel_key(std::uint64_t rid, const pb::FetchChannelKey& m);
  void handle_channel_act(std::uint64_t rid, const identity::VerifiedAdmin& admin, const identity::v1::AdminChain& chain,
                          const identity::v1::AdminAct& act, const std::string& act_body);
  // The answer to an administrative act once its storage step is done: AdminActOk, or the error.
  static std::function<void(Session&, Outcome&)> admin_act_reply(std::uint64_t rid, std::shared_ptr<pb::AdminActOk> reply,
                                                                 std::string actor);
  void handle_enrolment_act(std::uint64_t rid, const identity::VerifiedAdmin& admin,
                            const identity::v1::AdminChain& chain, const identity::v1::AdminAct& act,
                            const std::string& act_body);
  // Redeem (identity_key given) or collect (nullptr) an enrolment code.
  void handle_enrolment(std::uint64_t rid, const std::string& code, const std::string* identity_key);
  void apply_clearance(std::uint64_t rid, const identity::VerifiedAdmin& admin,
                       const identity::v1::AdminChain& admin_chain, const identity::v1::Signed& certificate,
                       const identity::v1::Signed& act);
  void apply_renewal(std::uint64_t rid, const identity::VerifiedAdmin& admin,
                     const identity::v1::AdminChain& admin_chain, const identity::v1::Signed& certificate,
                     const identity::v1::Signed& act);
  // Keeps a verified administrator's chain when it is the newest of its key (any act, even one refused).
  void record_admin_chain(const identity::v1::AdminChain& chain);

  // Runs `run` on the storage thread inside a batch; `finish` back on the strand once durable.
  void with_store(std::function<Status(Store&, Outcome&)> run, std::function<void(Session&, Outcome&)> finish);

  void send_frame(const pb::ServerFrame& frame);
  void send_error(std::uint64_t rid, pb::ErrorCode code, const std::string& message, std::uint32_t retry_after_ms = 0);
  void send_outcome_error(std::uint64_t rid, const Outcome& o);
  void enqueue(std::shared_ptr<const std::string> frame);
  void write_next();
  bool has_room() const noexcept;
  void close_after_flush();
  void want_catchup(GroupRef group);
  void schedule_catchups();
  void start_catchup(GroupRef group, GroupCursor& cursor);
  void push_delivery(GroupCursor& cursor, std::shared_ptr<const std::string> frame, std::uint64_t seq);
  void arm_idle_timer();
  void maybe_resume_read();
  bool rate_limited(std::uint64_t rid);

  Relay& relay_;
  State state_ = State::awaiting_hello;
  bool counted_ = false;  // holds one of the relay's connection slots
  Bytes device_key_;
  DeviceRef device_ = 0;
  Bytes nonce_;
  std::optional<DeviceIdentity> pending_identity_;
  std::shared_ptr<const std::string> chain_;  // the device's chain as presented at Hello (certificate mode)
  // The chain's user certificate and its signer's chain, for the registry once Authenticate succeeds.
  std::shared_ptr<const CertificateRecords> pending_certificate_;
  std::uint32_t certificate_fetches_ = 0;  // FetchCertificate before authentication (bounded)
  std::unordered_map<GroupRef, GroupCursor> groups_;
  std::unordered_set<GroupRef> wanting_catchup_;  // groups whose next messages must come from the store

  std::deque<std::shared_ptr<const std::string>> queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool write_scheduled_ = false;
  // The bytes of the write in flight (one frame, or a Batch of the first frames_in_write_ ones):
  // owned here so that clearing the queue never frees a buffer the transport is still sending.
  std::shared_ptr<const std::string> write_in_flight_;
  std::size_t frames_in_write_ = 0;
  bool close_when_flushed_ = false;
  bool lagging_ = false;

  std::uint32_t in_flight_ = 0;
  bool read_paused_ = false;
  TokenBucket bucket_;
  boost::asio::steady_timer idle_timer_;
};

}  // namespace gchat::server
