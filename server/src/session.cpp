// Session lifecycle, the send queue, authentication and ordered delivery with catch-up.
#include "gchat/server/session.hpp"

#include <sodium.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <ranges>

#include "certificates.hpp"
#include "gchat/identity/verify.hpp"
#include "gchat/relay/auth.hpp"
#include "gchat/server/audit_log.hpp"
#include "gchat/server/log.hpp"
#include "gchat/server/relay.hpp"
#include "mls_gate.hpp"
#include "wire.hpp"

namespace gchat::server {

namespace {

constexpr std::uint32_t kMaxInFlight = 64;           // storage requests per connection before reading pauses
constexpr std::uint32_t kCatchupPage = 128;          // messages per catch-up read
constexpr std::uint32_t kProtocolVersion = 1;
constexpr std::size_t kMaxBatchFrames = 256;      // frames combined into one Batch write
constexpr std::size_t kMaxBatchBytes = 64 * 1024;  // and their bytes

using wire::now_ms;
using wire::to_bytes;
using wire::to_string;

}  // namespace

Session::Session(Relay& relay, boost::asio::any_io_executor strand)
    : strand_(std::move(strand)),
      relay_(relay),
      bucket_(relay.config().rate_limit_per_sec, relay.config().rate_limit_burst, TokenBucket::Clock::now()),
      idle_timer_(strand_) {}

Session::~Session() {
  if (counted_) relay_.release_connection();
}

// ---------------------------------------------------------------------------------------------
// Lifecycle
// ---------------------------------------------------------------------------------------------

void Session::on_open() {
  if (!relay_.acquire_connection()) {
    refuse_and_close(pb::TOO_MANY_CONNECTIONS, "the relay is at its connection limit");
    return;
  }
  counted_ = true;
  if (relay_.shutting_down()) {
    refuse_and_close(pb::SHUTTING_DOWN, "the relay is shutting down");
    return;
  }
  arm_idle_timer();
}

void Session::refuse_and_close(pb::ErrorCode code, const std::string& message) {
  pb::ServerFrame f;
  auto* err = f.mutable_notice()->mutable_reason();
  err->set_code(code);
  err->set_message(message);
  relay_.metrics().count_error(code);
  send_frame(f);
  close_after_flush();
}

void Session::on_closed() {
  if (state_ == State::closed) return;
  const bool was_authenticated = state_ == State::authenticated || (state_ == State::closing && device_ != 0);
  state_ = State::closed;
  idle_timer_.cancel();
  if (device_ != 0) {
    std::vector<GroupRef> groups;
    groups.reserve(groups_.size());
    for (auto& [g, c] : groups_) groups.push_back(g);
    relay_.detach(this, device_, groups);
    if (was_authenticated) relay_.metrics().connections_authenticated--;
    log::debug("session_closed", {{"device", log::fingerprint(device_key_)}});
  }
  relay_.metrics().note_queued(-static_cast<std::int64_t>(queued_bytes_), 0);
  queue_.clear();
  queued_bytes_ = 0;
  frames_in_write_ = 0;
  groups_.clear();
}

void Session::shutdown() {
  boost::asio::post(strand_, [self = shared_from_this()] {
    if (self->state_ == State::closing || self->state_ == State::closed) return;
    self->refuse_and_close(pb::SHUTTING_DOWN, "the relay is shutting down");
  });
}

void Session::close_with(pb::ErrorCode code, std::string message) {
  boost::asio::post(strand_, [self = shared_from_this(), code, message = std::move(message)] {
    if (self->state_ == State::closing || self->state_ == State::closed) return;
    self->refuse_and_close(code, message);
  });
}

void Session::arm_idle_timer() {
  idle_timer_.expires_after(std::chrono::seconds(relay_.config().idle_timeout_sec));
  idle_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled or re-armed
    auto self = weak.lock();
    if (!self || self->state_ == State::closing || self->state_ == State::closed) return;
    self->refuse_and_close(pb::IDLE_TIMEOUT, "no frame received within the idle timeout");
  });
}

// ---------------------------------------------------------------------------------------------
// Send queue
// ---------------------------------------------------------------------------------------------

bool Session::has_room() const noexcept {
  const auto& c = relay_.config();
  return queue_.size() < c.send_queue_max_frames && queued_bytes_ < c.send_queue_max_bytes;
}

void Session::send_frame(const pb::ServerFrame& frame) {
  auto bytes = std::make_shared<std::string>();
  frame.SerializeToString(bytes.get());
  enqueue(std::move(bytes));
}

void Session::enqueue(std::shared_ptr<const std::string> frame) {
  if (state_ == State::closed) return;
  // Responses are always queued; a client that keeps sending requests without reading their answers
  // is cut off at twice the bound, so the queue never grows without limit.
  const auto& c = relay_.config();
  if (queue_.size() >= 2ull * c.send_queue_max_frames || queued_bytes_ >= 2ull * c.send_queue_max_bytes) {
    log::warn("send_queue_overflow", {{"device", log::fingerprint(device_key_)}});
    state_ = State::closing;
    relay_.metrics().note_queued(-static_cast<std::int64_t>(queued_bytes_), 0);
    queue_.clear();
    queued_bytes_ = 0;
    frames_in_write_ = 0;  // the frames of the write in flight are no longer in the queue
    if (!writing_) start_close();
    else close_when_flushed_ = true;
    return;
  }
  queued_bytes_ += frame->size();
  relay_.metrics().note_queued(static_cast<std::int64_t>(frame->size()), queued_bytes_);
  queue_.push_back(std::move(frame));
  if (!writing_ && !write_scheduled_) {
    // Start the write from a handler posted behind whatever is already queued on this strand:
    // frames arriving in the same burst (a committed batch fanned out, several answers) then
    // leave together as one Batch instead of one write each.
    write_scheduled_ = true;
    boost::asio::post(strand_, [self = shared_from_this()] {
      self->write_scheduled_ = false;
      if (!self->writing_ && !self->queue_.empty() && self->state_ != State::closed) self->write_next();
    });
  }
}

void Session::write_next() {
  // Frames waiting together go out as one Batch: one WebSocket message, one TLS record and one
  // system call instead of one each. A lone frame goes out as itself, so light traffic sees no
  // change in latency.
  std::size_t count = 1;
  std::size_t bytes = queue_.front()->size();
  while (count < queue_.size() && count < kMaxBatchFrames && bytes + queue_[count]->size() <= kMaxBatchBytes) {
    bytes += queue_[count]->size();
    ++count;
  }
  if (count == 1) {
    write_in_flight_ = queue_.front();
  } else {
    auto batch = std::make_shared<std::string>();
    wire::encode_batch(*batch, std::ranges::subrange(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(count)));
    write_in_flight_ = std::move(batch);
  }
  frames_in_write_ = count;
  writing_ = true;
  start_write(*write_in_flight_);
}

void Session::on_write_done(std::size_t bytes) {
  writing_ = false;
  write_in_flight_.reset();
  relay_.metrics().frames_out += frames_in_write_;
  relay_.metrics().bytes_out += bytes;
  // The queue may have been emptied meanwhile (overflow): pop only what is still there.
  for (; frames_in_write_ > 0 && !queue_.empty(); --frames_in_write_) {
    queued_bytes_ -= queue_.front()->size();
    relay_.metrics().note_queued(-static_cast<std::int64_t>(queue_.front()->size()), queued_bytes_);
    queue_.pop_front();
  }
  frames_in_write_ = 0;
  if (!queue_.empty()) {
    write_next();
    // Resume live delivery and catch-ups once the queue is half empty.
    if (queue_.size() * 2 < relay_.config().send_queue_max_frames &&
        queued_bytes_ * 2 < relay_.config().send_queue_max_bytes) {
      lagging_ = false;
      if (!wanting_catchup_.empty()) schedule_catchups();
    }
    return;
  }
  if (close_when_flushed_) {
    start_close();
    return;
  }
  lagging_ = false;
  if (!wanting_catchup_.empty()) schedule_catchups();
}

void Session::close_after_flush() {
  if (state_ == State::closed) return;
  state_ = State::closing;
  idle_timer_.cancel();
  if (!writing_ && queue_.empty()) start_close();
  else close_when_flushed_ = true;
}

// ---------------------------------------------------------------------------------------------
// Incoming frames
// ---------------------------------------------------------------------------------------------

void Session::on_frame(BytesView data, bool binary) {
  if (state_ == State::closing || state_ == State::closed) return;
  relay_.metrics().frames_in++;
  relay_.metrics().bytes_in += data.size();
  arm_idle_timer();
  if (!binary) {
    send_error(0, pb::MALFORMED_FRAME, "frames must be binary protobuf ClientFrame messages");
    return;
  }
  pb::ClientFrame frame;
  if (data.empty() || !frame.ParseFromArray(data.data(), static_cast<int>(data.size()))) {
    send_error(0, pb::MALFORMED_FRAME, "frame is not a valid ClientFrame");
    return;
  }
  dispatch(frame);
}

void Session::dispatch(const pb::ClientFrame& f) {
  const auto rid = f.request_id();
  using B = pb::ClientFrame;
  if (f.body_case() == B::BODY_NOT_SET) {
    send_error(rid, pb::MALFORMED_FRAME, "frame has no body (unknown or missing request)");
    return;
  }
  if (f.body_case() == B::kPing) {
    pb::ServerFrame out;
    out.set_request_id(rid);
    out.mutable_pong()->set_client_time_ms(f.ping().client_time_ms());
    out.mutable_pong()->set_server_time_ms(now_ms());
    send_frame(out);
    return;
  }
  if (f.body_case() == B::kHello) return handle_hello(rid, f.hello());
  if (f.body_case() == B::kAuthenticate) return handle_authenticate(rid, f.authenticate());
  if (f.body_case() == B::kFetchRevocations) return handle_fetch_revocations(rid);
  if (f.body_case() == B::kFetchCertificate) {
    // Public data, served before authentication: a device whose certificate was superseded cannot
    // authenticate with it.
    if (rate_limited(rid)) return;
    return handle_fetch_certificate(rid, f.fetch_certificate());
  }
  if (f.body_case() == B::kRedeemEnrolment || f.body_case() == B::kCollectCertificate) {
    if (rate_limited(rid)) return;
    if (f.has_redeem_enrolment()) {
      return handle_enrolment(rid, f.redeem_enrolment().code(), &f.redeem_enrolment().identity_key());
    }
    return handle_enrolment(rid, f.collect_certificate().code(), nullptr);
  }
  if (f.body_case() == B::kSubmitAdminAct) {
    // The act's signature is its authentication; the connection's rate limit still applies.
    if (rate_limited(rid)) return;
    return handle_submit_admin_act(rid, f.submit_admin_act());
  }
  if (state_ != State::authenticated) {
    send_error(rid, pb::NOT_AUTHENTICATED, "authenticate first (Hello, then Authenticate)");
    return;
  }
  if (f.body_case() != B::kAck && rate_limited(rid)) return;
  switch (f.body_case()) {
    case B::kCreateGroup: return handle_create_group(rid, f.create_group());
    case B::kAddMembers:
      return handle_membership(rid, to_bytes(f.add_members().group_id()), f.add_members().member_keys(), true);
    case B::kRemoveMembers:
      return handle_membership(rid, to_bytes(f.remove_members().group_id()), f.remove_members().member_keys(), false);
    case B::kListGroups: return handle_list_groups(rid);
    case B::kSend: return handle_send(rid, f.send());
    case B::kAck: return handle_ack(rid, f.ack());
    case B::kFetch: return handle_fetch(rid, f.fetch());
    case B::kUploadKeyPackages: return handle_upload_key_packages(rid, f.upload_key_packages());
    case B::kFetchKeyPackage: return handle_fetch_key_package(rid, f.fetch_key_package());
    case B::kFetchUserKeyPackages: return handle_fetch_user_key_packages(rid, f.fetch_user_key_packages());
    case B::kFindPeople: return handle_find_people(rid, f.find_people());
    case B::kListChannels: return handle_list_channels(rid);
    case B::kSubscribe: return handle_subscribe(rid, f.subscribe());
    case B::kRegisterChannelKey: return handle_register_channel_key(rid, f.register_channel_key());
    case B::kFetchChannelWork: return handle_fetch_channel_work(rid, f.fetch_channel_work());
    case B::kPutChannelKeys: return handle_put_channel_keys(rid, f.put_channel_keys());
    case B::kFetchChannelKey: return handle_fetch_channel_key(rid, f.fetch_channel_key());
    case B::kListDevices:
      return handle_list_devices(rid);
    case B::kRevokeOwnDevice:
      return handle_revoke_own_device(rid, f.revoke_own_device());
    default: send_error(rid, pb::MALFORMED_FRAME, "unsupported request");
  }
}

bool Session::rate_limited(std::uint64_t rid) {
  std::uint32_t retry_after = 0;
  if (bucket_.try_take(TokenBucket::Clock::now(), &retry_after)) return false;
  send_error(rid, pb::RATE_LIMITED, "too many requests; slow down", retry_after);
  return true;
}

void Session::send_error(std::uint64_t rid, pb::ErrorCode code, const std::string& message,
                         std::uint32_t retry_after_ms) {
  pb::ServerFrame f;
  f.set_request_id(rid);
  auto* e = f.mutable_error();
  e->set_code(code);
  e->set_message(message);
  if (retry_after_ms) e->set_retry_after_ms(retry_after_ms);
  relay_.metrics().count_error(code);
  send_frame(f);
}

void Session::send_outcome_error(std::uint64_t rid, const Outcome& o) {
  if (o.code != pb::ERROR_CODE_UNSPECIFIED) {
    send_error(rid, o.code, o.message);
  } else {
    log::error("storage_request_failed", {{"error", o.status.error().to_string()}});
    send_error(rid, pb::STORAGE_UNAVAILABLE, "the relay could not store the request; nothing was changed");
  }
}

void Session::with_store(std::function<Status(Store&, Outcome&)> run, std::function<void(Session&, Outcome&)> finish) {
  auto outcome = std::make_shared<Outcome>();
  ++in_flight_;
  if (in_flight_ >= kMaxInFlight) read_paused_ = true;
  relay_.storage().submit(StorageWriter::Request{
      [run = std::move(run), outcome](Store& store) { return run(store, *outcome); },
      [self = shared_from_this(), outcome, finish = std::move(finish)](const Status& status) mutable {
        outcome->status = status;
        if (status.ok() && outcome->after_commit) outcome->after_commit();
        boost::asio::post(self->strand_, [self, outcome, finish = std::move(finish)]() mutable {
          --self->in_flight_;
          if (self->state_ != State::closed) finish(*self, *outcome);
          self->maybe_resume_read();
        });
      }});
}

void Session::maybe_resume_read() {
  if (read_paused_ && in_flight_ < kMaxInFlight / 2 && state_ != State::closed && state_ != State::closing) {
    read_paused_ = false;
    resume_read();
  }
}

// ---------------------------------------------------------------------------------------------
// Authentication
// ---------------------------------------------------------------------------------------------

void Session::handle_hello(std::uint64_t rid, const pb::Hello& m) {
  if (state_ != State::awaiting_hello) {
    send_error(rid, pb::ALREADY_AUTHENTICATED, "Hello was already received on this connection");
    return;
  }
  if (m.protocol_version() != kProtocolVersion) {
    send_error(rid, pb::UNSUPPORTED_VERSION, "this relay speaks protocol version 1");
    return;
  }
  if (m.device_key().size() != crypto_sign_PUBLICKEYBYTES) {
    send_error(rid, pb::INVALID_ARGUMENT, "device_key must be a 32-byte Ed25519 public key");
    return;
  }
  device_key_ = to_bytes(m.device_key());
  pending_identity_.reset();
  pending_certificate_.reset();
  if (relay_.certificate_mode()) {
    // The chain is checked before the challenge: a device without a valid one learns why at once.
    // The verifier is the one the relay checks MLS leaves with: reconnecting devices, and the
    // agencies and administrators shared by many devices, are verified once.
    auto verified = relay_.gate().verifier().verify(identity::gchat_credential(as_bytes(m.chain())), device_key_);
    if (!verified.ok() && verified.error().code == Errc::mls_invalid_credential) {
      verified = fail(Errc::cert_mismatch, "the chain certifies another device key");
    }
    if (!verified.ok()) {
      relay_.metrics().auth_failures++;
      const auto& e = verified.error();
      log::info("auth_failed", {{"device", log::fingerprint(device_key_)}, {"reason", std::string(errc_name(e.code))}});
      // A revoked device or person stays revoked once the chain has also expired: say that, not
      // the expiry a renewal would seem to cure.
      const bool revoked = e.code == Errc::cert_revoked || revoked_device_or_person(as_bytes(m.chain()));
      send_error(rid, revoked ? pb::REVOKED : pb::CERTIFICATE_REJECTED,
                 revoked && e.code != Errc::cert_revoked
                     ? "this device or its person is revoked (" + e.to_string() + ")"
                     : e.to_string());
      return;
    }
    const auto& u = verified->user;
    pending_identity_ = DeviceIdentity{u.agency.agency_id, u.user_id, static_cast<std::int32_t>(u.clearance),
                                       u.serial, to_bytes(m.chain()), u.name_th, u.name_en};
    identity::v1::Chain chain;
    chain.ParseFromString(m.chain());
    identity::v1::AdminChain issuer;
    *issuer.mutable_agency() = chain.agency();
    *issuer.mutable_admin() = chain.admin();
    if (auto records = certificate_records(chain.user(), issuer); records.ok()) {
      pending_certificate_ = std::make_shared<const CertificateRecords>(std::move(*records));
    } else {
      log::warn("certificate_unreadable",
                {{"device", log::fingerprint(device_key_)}, {"error", records.error().to_string()}});
    }
    chain_ = std::make_shared<const std::string>(m.chain());
  }
  nonce_.assign(32, 0);
  randombytes_buf(nonce_.data(), nonce_.size());
  state_ = State::awaiting_auth;
  pb::ServerFrame f;
  f.set_request_id(rid);
  f.mutable_challenge()->set_nonce(to_string(nonce_));
  f.mutable_challenge()->set_relay_id(relay_.config().relay_id);
  send_frame(f);
}

bool Session::revoked_device_or_person(BytesView chain_bytes) const {
  const auto revoked = relay_.revocations();
  if (revoked->device(device_key_)) return true;
  identity::v1::Chain chain;
  identity::v1::UserCertificate user;
  if (chain_bytes.size() > identity::kMaxChainSize ||
      !chain.ParseFromArray(chain_bytes.data(), static_cast<int>(chain_bytes.size())) ||
      !user.ParseFromString(chain.user().body())) {
    return false;
  }
  // The list is public: naming a revoked person in an unverified chain learns nothing new.
  return revoked->user(user.agency_id(), user.user_id()) || revoked->user_serial(user.serial());
}

void Session::handle_authenticate(std::uint64_t rid, const pb::Authenticate& m) {
  if (state_ == State::authenticated) {
    send_error(rid, pb::ALREADY_AUTHENTICATED, "this connection is already authenticated");
    return;
  }
  if (state_ != State::awaiting_auth) {
    relay_.metrics().auth_failures++;
    send_error(rid, pb::AUTH_FAILED, "no challenge outstanding: send Hello first");
    return;
  }
  const Bytes msg = relay::auth_message(as_bytes(relay_.config().relay_id), nonce_);
  const auto& sig = m.signature();
  // The nonce is single-use whatever the outcome.
  nonce_.clear();
  state_ = State::awaiting_hello;
  if (sig.size() != crypto_sign_BYTES ||
      crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig.data()), msg.data(), msg.size(),
                                  device_key_.data()) != 0) {
    relay_.metrics().auth_failures++;
    log::info("auth_failed", {{"device", log::fingerprint(device_key_)}, {"reason", "bad_signature"}});
    send_error(rid, pb::AUTH_FAILED, "the signature over the challenge does not verify");
    return;
  }
  state_ = State::closing;  // no other request is served while the device record is looked up

  struct AuthResult {
    DeviceRecord device;
    std::vector<MembershipRecord> groups;
    bool attached = false;
    CertificateShown shown;  // what the registry made of the device's certificate
  };
  auto result = std::make_shared<AuthResult>();
  // A device with a verified chain registers itself; without certificates, `registration` decides.
  const auto verified_identity = pending_identity_;
  const bool open = relay_.config().registration == Registration::open || verified_identity.has_value();
  Bytes key = device_key_;
  auto weak = weak_from_this();
  Relay* relay = &relay_;
  with_store(
      [result, open, key, weak, relay, verified_identity, certificate = pending_certificate_](
          Store& store, Outcome& o) -> Status {
        GCHAT_TRY(auto found, store.find_device(key));
        if (found) {
          result->device = *found;
        } else if (open) {
          GCHAT_TRY(result->device, store.register_device(key, now_ms()));
        } else {
          o.code = pb::UNKNOWN_DEVICE;
          o.message = "this device key is not registered with the relay";
          return fail(Errc::not_found, o.message);
        }
        GCHAT_TRY_STATUS(store.note_device_seen(result->device.ref, now_ms()));
        if (verified_identity) {
          // Key packages carry the chain they were made with: under another user certificate
          // (renewed, clearance changed) they would admit the device with the old one.
          GCHAT_TRY(auto before, store.device_identity(key));
          if (before && before->second.user_serial != verified_identity->user_serial) {
            GCHAT_TRY_STATUS(store.delete_key_packages(result->device.ref));
          }
          GCHAT_TRY_STATUS(store.set_device_identity(result->device.ref, *verified_identity, now_ms()));
          if (certificate) {
            GCHAT_TRY(result->shown, certificate_shown(store, *certificate, result->device.ref));
          }
          if (result->device.newly_registered) {
            const std::string who = verified_identity->agency_id + "/" + verified_identity->user_id;
            GCHAT_TRY_STATUS(append_audit(store, *relay, "device_registered", who, log::fingerprint(key),
                                          "clearance " + std::to_string(verified_identity->clearance)));
          }
        }
        GCHAT_TRY(result->groups, store.memberships_of(result->device.ref));
        // Subscribing here, in commit order, means no message committed later can be missed.
        const std::uint64_t serial = verified_identity ? verified_identity->user_serial : 0;
        o.after_commit = [result, weak, relay, serial] {
          if (result->shown.changed) refresh_expiry_gauges(*relay);
          if (!result->shown.to_tell.empty())
            relay->push_to(result->shown.to_tell, certificate_notice(serial));
          auto self = weak.lock();
          if (!self) return;
          if (!relay->attach_device(result->device.ref, self)) return;
          result->attached = true;
          for (const auto& g : result->groups) relay->subscribe(g.group, self);
        };
        return {};
      },
      [result, rid](Session& s, Outcome& o) {
        if (!o.status.ok()) {
          s.state_ = State::awaiting_hello;
          s.relay_.metrics().auth_failures++;
          s.send_outcome_error(rid, o);
          if (o.code == pb::UNKNOWN_DEVICE) s.close_after_flush();
          return;
        }
        s.device_ = result->device.ref;
        if (!result->attached) {
          s.state_ = State::awaiting_hello;
          s.send_error(rid, pb::TOO_MANY_CONNECTIONS, "this device has too many open connections");
          s.close_after_flush();
          return;
        }
        s.state_ = State::authenticated;
        s.relay_.metrics().connections_authenticated++;
        pb::ServerFrame f;
        f.set_request_id(rid);
        f.mutable_auth_ok()->set_device_key(to_string(s.device_key_));
        f.mutable_auth_ok()->set_newly_registered(result->device.newly_registered);
        f.mutable_auth_ok()->set_server_time_ms(now_ms());
        const auto& relay_key = s.relay_.signing_key().public_key();
        f.mutable_auth_ok()->set_relay_key(relay_key.data(), relay_key.size());
        s.send_frame(f);
        log::info("authenticated", {{"device", log::fingerprint(s.device_key_)},
                                    {"groups", std::to_string(result->groups.size())},
                                    {"new", result->device.newly_registered ? "1" : "0"}});
        for (const auto& g : result->groups) {
          auto& cursor = s.groups_[g.group];
          cursor.group_id = g.group_id;
          cursor.delivered = std::max(g.acked_seq, g.joined_seq);
          if (g.last_seq > cursor.delivered) s.wanting_catchup_.insert(g.group);
        }
        s.schedule_catchups();
      });
}

// ---------------------------------------------------------------------------------------------
// Ordered delivery
// ---------------------------------------------------------------------------------------------

void Session::offer_live(GroupRef group, std::uint64_t seq, std::shared_ptr<const std::string> frame) {
  boost::asio::post(strand_, [self = shared_from_this(), group, seq, frame = std::move(frame)]() mutable {
    if (self->state_ != State::authenticated) return;
    auto it = self->groups_.find(group);
    if (it == self->groups_.end()) return;
    auto& cursor = it->second;
    if (seq <= cursor.delivered) return;  // already pushed by a catch-up read
    if (seq == cursor.delivered + 1 && !cursor.catchup_in_flight && !self->wanting_catchup_.count(group) &&
        !self->lagging_) {
      if (self->has_room()) {
        self->push_delivery(cursor, std::move(frame), seq);
        return;
      }
      self->lagging_ = true;
      self->relay_.metrics().lagging_events++;
    }
    self->want_catchup(group);  // the store has it; read it when the queue has room
  });
}

void Session::push_delivery(GroupCursor& cursor, std::shared_ptr<const std::string> frame, std::uint64_t seq) {
  cursor.delivered = seq;
  relay_.metrics().deliveries++;
  enqueue(std::move(frame));
}

void Session::joined_group(GroupRef group, Bytes group_id, std::uint64_t joined_seq) {
  boost::asio::post(strand_, [self = shared_from_this(), group, group_id = std::move(group_id), joined_seq]() mutable {
    if (self->state_ != State::authenticated) return;
    auto [it, inserted] = self->groups_.try_emplace(group);
    if (inserted) {
      it->second.group_id = std::move(group_id);
      it->second.delivered = joined_seq;
    }
  });
}

void Session::left_group(GroupRef group) {
  boost::asio::post(strand_, [self = shared_from_this(), group] {
    self->groups_.erase(group);
    self->wanting_catchup_.erase(group);
  });
}

void Session::push(std::shared_ptr<const std::string> frame) {
  boost::asio::post(strand_, [self = shared_from_this(), frame = std::move(frame)]() mutable {
    // A key or a notice the device can also fetch: dropped rather than queued past the bound.
    if (self->state_ == State::authenticated && self->has_room()) self->enqueue(std::move(frame));
  });
}

void Session::want_catchup(GroupRef group) {
  wanting_catchup_.insert(group);
  schedule_catchups();
}

void Session::schedule_catchups() {
  if (state_ != State::authenticated || lagging_) return;
  for (auto it = wanting_catchup_.begin(); it != wanting_catchup_.end() && has_room();) {
    auto g = groups_.find(*it);
    if (g == groups_.end()) {
      it = wanting_catchup_.erase(it);
    } else if (g->second.catchup_in_flight) {
      ++it;  // stays wanted: read again when the current read completes
    } else {
      it = wanting_catchup_.erase(it);  // live offers arriving meanwhile add it again
      start_catchup(g->first, g->second);
    }
  }
}

void Session::start_catchup(GroupRef group, GroupCursor& cursor) {
  cursor.catchup_in_flight = true;
  relay_.metrics().catchup_reads++;
  const std::uint64_t after = cursor.delivered;
  // Keep one page within the queue's byte bound so that a catch-up never overshoots it by much.
  const std::uint32_t byte_budget = relay_.config().send_queue_max_bytes / 2;
  auto messages = std::make_shared<std::vector<StoredMessage>>();
  with_store(
      [group, after, byte_budget, messages](Store& store, Outcome&) -> Status {
        GCHAT_TRY(*messages, store.read_messages(group, after, kCatchupPage, byte_budget));
        return {};
      },
      [group, messages](Session& s, Outcome& o) {
        auto it = s.groups_.find(group);
        if (it == s.groups_.end()) return;  // left the group meanwhile
        auto& cur = it->second;
        cur.catchup_in_flight = false;
        if (!o.status.ok()) {
          s.wanting_catchup_.insert(group);  // retried on the next write completion
          log::error("catchup_failed", {{"error", o.status.error().to_string()}});
          return;
        }
        for (auto& m : *messages) {
          if (m.seq <= cur.delivered) continue;
          pb::ServerFrame f;
          auto* d = f.mutable_delivery();
          d->set_group_id(to_string(cur.group_id));
          d->set_seq(m.seq);
          d->set_kind(static_cast<pb::MessageKind>(m.kind));
          d->set_sender_key(to_string(m.sender_key));
          d->set_payload(to_string(m.payload));
          d->set_server_time_ms(m.created_ms);
          auto bytes = std::make_shared<std::string>();
          f.SerializeToString(bytes.get());
          s.push_delivery(cur, std::move(bytes), m.seq);
        }
        // Read until a read comes back empty: a page may have been cut by its count or byte budget.
        if (!messages->empty()) s.wanting_catchup_.insert(group);
        if (!s.has_room()) s.lagging_ = true;
        s.schedule_catchups();
      });
}

}  // namespace gchat::server
