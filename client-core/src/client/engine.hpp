#pragma once
// The client core's engine: everything behind gchat::client::Client, run on its one network thread
// (an asio io_context). It owns the local store, the identity, every conversation's MLS state and
// the relay connection; front ends reach it only through Requests and it answers only through
// Outputs, so nothing here needs a lock.

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <string>

#include "connection.hpp"
#include "gchat/client/store.hpp"
#include "gchat/client/v1/client.pb.h"
#include "gchat/identity/mls_identity.hpp"
#include "gchat/relay/v1/relay.pb.h"

namespace gchat::client {

namespace api = ::gchat::client::v1;
namespace pb = ::gchat::relay::v1;
namespace idv1 = ::gchat::identity::v1;
namespace asio = boost::asio;

// A failure on its way to the front end.
struct ApiError {
  api::ErrorCode code = api::INTERNAL;
  std::string message;
  int relay_code = 0;
};
ApiError api_error(const Error& e);
ApiError relay_error(const pb::Error& e);
Result<mls::KeyPackageBundle> unpack_bundle(BytesView data);
inline bool same_bytes(BytesView a, BytesView b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }
// The leaves of `group` that hold the device with this signature key.
std::vector<mls::LeafIndex> leaves_of(const mls::Group& group, BytesView device_key);

// A history group: the MLS group of two devices of one person through which a device sends the
// history it holds to a device it linked (engine_history.cpp). Never shown as a conversation.
bool is_history_group(BytesView group_id);

// The request id of work the engine starts on its own (its answers are dropped, its failures
// become problem events): Client numbers every caller's request from 1.
inline constexpr std::uint64_t kOwnRequest = 0;

class Engine {
 public:
  using Emit = std::function<void(api::Output)>;
  Engine(asio::io_context& ioc, api::Config config, Emit emit);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  void handle(api::Request request);
  void shutdown();

 private:
  using Reply = std::function<void(const pb::ServerFrame&)>;
  using Done = std::function<void(std::optional<ApiError>)>;

  // A subscribed broadcast channel (the Conv's id is the channel id; its stream has no MLS group).
  struct Chan {
    idv1::ChannelDescriptor desc;
    std::string signed_descriptor;    // serialized Signed, as verified
    std::string admin_chain;          // serialized AdminChain
    bool publisher = false;           // this person may publish (listed, PUBLISH right, cleared)
    std::set<std::uint64_t> asked;    // key generations asked of the relay on this connection
    bool working = false;             // wrapping keys for waiting subscribers
    bool again = false;               // more work arrived meanwhile
    std::unordered_set<std::string> verified;  // registrations checked (by signature): rekeys skip them
  };

  struct Conv {
    std::optional<mls::Group> group;
    std::optional<Chan> channel;
    api::Conversation info;
    std::uint64_t next_seq = 1;
    Bytes pending_commit;             // sent, waiting for its place
    Bytes pending_welcome;
    std::optional<mls::Group> pending_group;
    bool proposals_waiting = false;   // cached proposals to commit
    bool busy = false;                // a membership operation is running
    std::deque<std::function<void()>> waiting_ops;
    Done on_commit_placed;
  };

  // --- responses and events
  void output(api::Output out);
  void respond(std::uint64_t id, const std::function<void(api::Response&)>& fill);
  void respond_error(std::uint64_t id, const ApiError& e);
  void event(const std::function<void(api::Event&)>& fill);
  void problem(const ApiError& e);

  // --- store and identity (engine.cpp)
  void open(std::uint64_t id, const api::Open& r);
  Status load_identity();
  Status load_conversations();
  void reload_from_disk();
  identity::TrustAnchor trust_anchor() const;  // the pinned root, now, no revocation list
  api::Sender self_sender() const;
  api::Sender sender_of(const identity::VerifiedDevice& d) const;
  api::Person person_of(const identity::VerifiedUser& u) const;
  void status(std::uint64_t id);
  void enrol(std::uint64_t id, const api::Enrol& r);
  void collect(std::uint64_t id, std::string code, std::chrono::steady_clock::time_point deadline);
  Status finish_enrolment(const idv1::Chain& chain, const identity::SigningKey& device);
  void request_link(std::uint64_t id);
  void approve_link(std::uint64_t id, const api::ApproveLink& r);
  void complete_link(std::uint64_t id, const api::CompleteLink& r);
  bool enrolled() const { return device_key_.has_value(); }
  std::int64_t now_s() const;
  std::int64_t now_ms() const;

  // --- relay connection (engine.cpp)
  void connect();
  void on_open();
  void on_frame(pb::ServerFrame frame);
  void on_closed(const std::string& reason);
  void authenticated(const pb::AuthOk& ok);
  void on_certificate_checked();
  void set_state(api::ConnectionState::State s, std::string reason = {}, std::uint32_t retry_ms = 0);
  void relay(pb::ClientFrame frame, Reply reply);
  // Runs `action` once the relay is reachable (authenticated unless pre_auth), or fails with OFFLINE
  // after `wait`.
  void when_online(bool pre_auth, std::chrono::milliseconds wait, std::function<void()> action,
                   std::function<void(ApiError)> failed);
  void run_waiters();
  void refill_key_packages(std::function<void()> then);
  void fetch_revocations();
  void hello();

  // --- the identity's life (engine_identity.cpp)
  idv1::Validity device_validity() const;
  std::int64_t certificate_expiry() const;  // this device's chain, Unix seconds
  void check_certificate(std::function<void(bool taken)> then);
  Result<bool> adopt_certificate(const pb::CurrentCertificate& current);
  // The connection starts again at once, authenticating with the chain just taken.
  void reconnect_renewed();
  void refresh_leaves();
  void list_devices(std::uint64_t id);
  void remove_device(std::uint64_t id, const api::RemoveDevice& r);

  // --- conversations (engine_groups.cpp)
  void list_conversations(std::uint64_t id);
  void create_conversation(std::uint64_t id, const api::CreateConversation& r);
  // A new MLS group with this id and policy, then the devices of `people` added by one commit.
  void start_group(const Bytes& gid, const idv1::GroupPolicy& policy, std::vector<idv1::UserRef> people,
                   std::function<void(std::optional<ApiError>)> done);
  void change_members(std::uint64_t id, const Bytes& group_id, const google::protobuf::RepeatedPtrField<idv1::UserRef>& who,
                      bool add);
  void leave(std::uint64_t id, const api::Leave& r);
  void change_conversation(std::uint64_t id, const api::ChangeConversation& r);
  void policy_changed(const Bytes& group_id, Conv& c, const idv1::GroupPolicy& before, std::optional<api::Sender> by,
                      std::uint64_t seq);
  void fetch_key_packages(std::vector<idv1::UserRef> people, std::vector<mls::KeyPackage> got,
                          std::function<void(Result<std::vector<mls::KeyPackage>>)> done);
  // Serializes membership operations per conversation: op runs when no other one is.
  void run_exclusive(const Bytes& group_id, std::function<void(Done)> op);
  void commit_changes(const Bytes& group_id, const std::vector<mls::KeyPackage>& adds,
                      const std::vector<mls::LeafIndex>& removes, Done done,
                      std::optional<std::vector<mls::Extension>> extensions = std::nullopt);
  void adopt_pending(Conv& c, const Bytes& group_id);
  void drop_pending(Conv& c, const Bytes& group_id);
  void commit_waiting_proposals(const Bytes& group_id);
  void process_pending_links();
  Status admissible_all(const std::vector<mls::KeyPackage>& kps, const idv1::GroupPolicy& policy) const;
  Status save(const Bytes& group_id, Conv& c);
  void refresh_members(Conv& c);
  Conv* find(const Bytes& group_id);
  Result<identity::VerifiedDevice> leaf_device(const mls::Group& g, mls::LeafIndex leaf) const;
  mls::GroupRules rules() const { return verifier_->rules(); }

  // --- deliveries (engine_groups.cpp)
  void on_delivery(const pb::Delivery& d);
  Status process_delivery(const pb::Delivery& d, Conv* c);
  Status join_from_welcome(const pb::Delivery& d, bool& joined);
  Status process_handshake(const pb::Delivery& d, Conv& c);
  Status process_application(const pb::Delivery& d, Conv& c);
  void ack(const Bytes& group_id, std::uint64_t seq);
  // Deliveries and posts arriving together share one transaction (group commit), finished by a
  // handler posted when the batch opens; what they produce is output once it is durable.
  Status open_batch();
  void finish_batch();
  // Commits the open batch of deliveries, if any, before anything else uses the store.
  void settle();

  // --- broadcast channels (engine_channels.cpp)
  void list_channels(std::uint64_t id);
  void find_people(std::uint64_t id, const api::FindPeople& r);
  void fill_admin_identity(api::AdminIdentity& a) const;
  void subscribe(std::uint64_t id, const Bytes& channel_id, bool unsubscribe);
  Result<Chan> verified_channel(const idv1::Signed& descriptor, const idv1::AdminChain& signer) const;
  // The channels the relay offers this person, each descriptor verified to the root (others are
  // dropped); or why the relay refused.
  struct Offered {
    Chan channel;
    pb::ChannelInfo info;
  };
  void fetch_channels(std::function<void(std::optional<ApiError>, std::vector<Offered>)> done);
  // The channel as this device's conversation (created, or subscribed again); not saved yet.
  Conv& install_channel(const Bytes& channel_id, Chan channel);
  api::Channel channel_view(const Chan& ch, const pb::ChannelInfo& info) const;
  void fill_channel_info(Conv& c) const;
  Status load_channel(Conv& c, BytesView state);
  SecretBytes channel_state(const Chan& ch) const;
  Result<std::optional<SecretBytes>> channel_key_of(const Bytes& channel_id, std::uint64_t generation);
  Status keep_channel_key(const Bytes& channel_id, std::uint64_t generation, BytesView key);
  Status keep_publishers_key(const Bytes& group_id, const mls::Group& g);
  Status process_channel_post(const pb::Delivery& d, Conv& c);
  Result<Bytes> encrypt_channel_post(const OutboxEntry& e, Conv& c, std::uint64_t& generation);
  void ask_channel_key(const Bytes& channel_id, std::uint64_t generation);
  void on_channel_key(const pb::ChannelKey& k);
  void register_channel_key();
  void ensure_publishers_group(const Bytes& channel_id);
  void channel_work(const Bytes& channel_id, bool rekey_first);
  void wrap_page(const Bytes& channel_id, std::uint64_t after);
  void rekey_channel(const Bytes& channel_id);
  // The publishers' group follows the descriptor: its policy lists the current publishers, their
  // devices are in it, devices of people no longer listed are not.
  void reconcile_publishers(const Bytes& channel_id);
  // A newer signed descriptor for a channel this device has (version only grows).
  void update_channel(const Bytes& channel_id, Chan fresh);
  void resume_channels();
  // The relay's list against ours: channels subscribed from another device appear, channels the
  // relay took this person out of are marked left.
  void sync_channels();
  void channel_removed(const Bytes& channel_id);
  void replay_channel_posts(const Bytes& channel_id);
  bool sendable(const Conv* c) const { return c && (c->group || c->channel) && !c->info.left(); }
  void set_channel(std::uint64_t id, const api::SetChannel& r);
  void subscribe_agency(std::uint64_t id, const api::SubscribeAgency& r);

  // --- administration (engine_admin.cpp)
  Status load_admin();
  void handle_admin(std::uint64_t id, const api::Request& r);
  void import_admin_key(std::uint64_t id, const api::ImportAdminKey& r);
  void submit_act(std::uint64_t id, idv1::AdminAct act, std::function<void(const pb::AdminActOk&)> done);
  void set_clearance(std::uint64_t id, const api::SetClearance& r);
  void grant_enrolment(std::uint64_t id, const api::GrantEnrolment& r);
  void complete_enrolments(std::uint64_t id, const api::CompleteEnrolments& r);
  void issue_enrolments(std::uint64_t id, std::shared_ptr<std::vector<std::pair<std::string, idv1::AdminAct>>> acts,
                        std::shared_ptr<api::AdminDone> issued, std::size_t i);

  // --- messages (engine_messages.cpp)
  void send_text(std::uint64_t id, const api::SendText& r);
  void forward(std::uint64_t id, const api::Forward& r);
  Result<api::Message> queue_post(const Bytes& group_id, api::Post post, const std::string& index_text,
                                  const api::Forwarded* forwarded);
  void flush_outbox();
  void schedule_flush();
  Status encrypt_queued();
  void send_ready(OutboxEntry e);
  static std::string sent_key(BytesView ciphertext);
  void own_application(const pb::Delivery& d, Conv& c);
  Status receive_post(const pb::Delivery& d, Conv& c, BytesView data, const identity::VerifiedDevice& from,
                      BytesView sender_chain);
  void mark_read(std::uint64_t id, const api::MarkRead& r);
  void history(std::uint64_t id, const api::History& r);
  void search(std::uint64_t id, const api::Search& r);
  Result<api::Message> load_message(const StoredMessage& m) const;
  Result<api::Message> verified_text(const api::Post& post, const identity::VerifiedDevice& from, std::uint64_t seq,
                                     int level_bound, bool historical) const;

  // --- history for a linked device (engine_history.cpp)
  // Before a linked device joins the conversations: the history group with it (true: being made,
  // process_pending_links runs again when it is).
  bool start_history_link(const Bytes& device);
  // Whether process_pending_links adds `device` to this conversation.
  bool joins_for_link(const Bytes& group_id, const Conv& c, const Bytes& device) const;
  void note_link_added(const Bytes& device, const Bytes& group_id);
  // A conversation (or the history group) joined: ask the linking device for its history.
  void after_join(const Bytes& group_id);
  void resume_history();
  void pump_history(const Bytes& history_group);
  Status receive_history(const pb::Delivery& d, Conv& c, BytesView data, const identity::VerifiedDevice& from);
  Status answer_history_request(const Bytes& history_group, const api::HistoryRequest& r,
                                const identity::VerifiedDevice& from);
  Status receive_history_batch(const Bytes& history_group, const api::HistoryBatch& b);
  Result<api::LocalMessage> verified_history_item(const api::HistoryItem& item, const api::HistoryBatch& b,
                                                  const Conv& c) const;
  Result<api::HistoryBatch> next_history_batch(api::LocalHistoryJob& job, identity::Clearance limit);
  Result<std::optional<api::LocalHistoryLink>> history_link(const Bytes& history_group) const;
  Status save_history_link(const Bytes& history_group, const api::LocalHistoryLink& link);
  std::optional<Bytes> history_group_for(const Bytes& device) const;
  bool own_history_group(const Conv& t) const;
  bool retained(const api::LocalMessage& m) const;

  asio::io_context& ioc_;
  api::Config config_;
  Emit emit_;
  const crypto::CipherSuite* suite_ = nullptr;
  std::mt19937_64 rng_;

  std::unique_ptr<Store> store_;
  std::optional<identity::SigningKey> device_key_;
  std::optional<identity::SigningKey> user_key_;  // on the device that enrolled (it signs linked devices)
  idv1::Chain chain_;
  Bytes chain_bytes_;
  std::optional<mls::Identity> mls_id_;
  identity::VerifiedDevice self_;
  std::optional<std::int64_t> as_of_;  // the verifier's time while a delivery is processed (its relay time)
  bool need_certificate_ = false;      // refused with this chain: ask for the current certificate first
  bool asked_certificate_ = false;     // ... and asked since the last authentication
  std::string refused_code_;          // why the relay last refused this device (ConnectionState.refused_code)
  std::uint64_t undecryptable_ = 0;  // messages that did not open or verify (StatusReport)
  Bytes relay_key_;
  std::string relay_id_;
  std::shared_ptr<identity::MemberVerifier> verifier_;
  std::shared_ptr<const identity::Revocations> revoked_;  // the relay's newest signed list (channels' signers)
  std::optional<identity::SigningKey> admin_key_;  // an administrator's, when imported
  idv1::AdminChain admin_chain_;
  identity::VerifiedAdmin admin_;
  std::map<Bytes, Conv> convs_;
  bool loaded_ = false;

  std::unique_ptr<asio::ssl::context> tls_;
  std::shared_ptr<Connection> conn_;
  bool open_ = false;          // the connection is up (WebSocket handshake done)
  bool authenticated_ = false;
  bool stopping_ = false;
  std::size_t endpoint_ = 0;
  std::uint32_t attempt_ = 0;
  asio::steady_timer retry_timer_;
  asio::steady_timer link_timer_;
  std::uint64_t next_relay_id_ = 1;
  std::map<std::uint64_t, Reply> replies_;
  struct Waiter {
    bool pre_auth;
    std::function<void()> action;
    std::function<void(ApiError)> failed;
    std::shared_ptr<asio::steady_timer> timer;
  };
  std::deque<std::shared_ptr<Waiter>> waiters_;
  std::set<std::int64_t> in_flight_;  // outbox rows sent on this connection
  bool linking_ = false;
  std::set<Bytes> history_skipped_;  // linked devices whose history group could not be made (this session)
  api::ConnectionState state_;
  bool batch_open_ = false;
  asio::steady_timer batch_timer_;
  std::map<Bytes, std::uint64_t> batch_acks_;  // conversations touched by the batch, highest seq
  std::vector<api::Output> deferred_;          // outputs held until the batch is durable
  bool flush_scheduled_ = false;
  bool rate_paused_ = false;
  bool encrypt_queued_ = true;   // the outbox may hold posts not encrypted yet
  bool reload_ready_ = true;     // ready_ must be rebuilt from the store (after a reconnection)
  std::deque<OutboxEntry> ready_;  // encrypted, not yet sent on this connection, in order
  std::unordered_map<std::string, std::int64_t> sent_index_;  // hash of a ciphertext sent -> outbox row
};

}  // namespace gchat::client
