// The C ABI (include/gchat/gchat.h) over gchat::client::Client: messages in and out as serialized
// protobuf or protobuf JSON, errors as status codes with a thread-local sentence, and no exception
// ever leaving a function of this file.
#include "gchat/gchat.h"

#include <google/protobuf/util/json_util.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "gchat/client/client.hpp"

namespace api = ::gchat::client::v1;

struct gchat_client {
  std::unique_ptr<gchat::client::Client> client;
  gchat_format format = GCHAT_FORMAT_PROTOBUF;
  std::atomic<bool> has_callback{false};
};

namespace {

// Inputs larger than this are refused before they are parsed (a request is at most a few
// megabytes: a text message, a key file).
constexpr std::size_t kMaxInput = 64u << 20;

thread_local std::string last_error;

gchat_status fail(gchat_status status, std::string message) {
  last_error = std::move(message);
  return status;
}

gchat_status ok() {
  last_error.clear();
  return GCHAT_OK;
}

bool valid_format(int format) { return format == GCHAT_FORMAT_PROTOBUF || format == GCHAT_FORMAT_JSON; }

gchat_status parse(const uint8_t* data, std::size_t size, gchat_format format, google::protobuf::Message& out,
                   const char* what) {
  if (!data && size != 0) return fail(GCHAT_ERROR_INVALID_ARGUMENT, std::string(what) + " is NULL");
  if (size > kMaxInput) return fail(GCHAT_ERROR_INVALID_ARGUMENT, std::string(what) + " is larger than 64 MiB");
  const char* chars = reinterpret_cast<const char*>(data);
  if (format == GCHAT_FORMAT_JSON) {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    const auto status = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(chars ? chars : "", size), &out, options);
    if (!status.ok()) {
      return fail(GCHAT_ERROR_PARSE, std::string(what) + " is not valid JSON for " + out.GetTypeName() + ": " +
                                         std::string(status.message()));
    }
    return ok();
  }
  if (!out.ParseFromArray(data, static_cast<int>(size))) {
    return fail(GCHAT_ERROR_PARSE, std::string(what) + " does not parse as " + out.GetTypeName());
  }
  return ok();
}

bool encode(const google::protobuf::Message& message, gchat_format format, std::string& out) {
  if (format == GCHAT_FORMAT_JSON) {
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;  // the schema's names: request_id, conversation_id
    return google::protobuf::util::MessageToJsonString(message, &out, options).ok();
  }
  return message.SerializeToString(&out);
}

template <class F>
gchat_status guarded(F&& f) noexcept {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return fail(GCHAT_ERROR_INTERNAL, "out of memory");
  } catch (const std::exception& e) {
    return fail(GCHAT_ERROR_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return fail(GCHAT_ERROR_INTERNAL, "internal error");
  }
}

}  // namespace

extern "C" {

const char* gchat_version(void) { return GCHAT_VERSION; }
int gchat_abi_version(void) { return GCHAT_ABI_VERSION; }
const char* gchat_last_error(void) { return last_error.c_str(); }

gchat_status gchat_client_create(const uint8_t* config, size_t size, gchat_format format, gchat_client** out) {
  return guarded([&] {
    if (!out) return fail(GCHAT_ERROR_INVALID_ARGUMENT, "out is NULL");
    *out = nullptr;
    if (!valid_format(format)) return fail(GCHAT_ERROR_INVALID_ARGUMENT, "format is neither PROTOBUF nor JSON");
    api::Config c;
    if (const auto s = parse(config, size, format, c, "config"); s != GCHAT_OK) return s;
    if (c.data_dir().empty()) return fail(GCHAT_ERROR_INVALID_ARGUMENT, "config.data_dir is empty");
    auto client = std::make_unique<gchat_client>();
    client->format = format;
    client->client = std::make_unique<gchat::client::Client>(std::move(c));
    *out = client.release();
    return ok();
  });
}

void gchat_client_destroy(gchat_client* client) {
  if (!client) return;
  try {
    delete client;  // joins the client's thread
  } catch (...) {
    // A destructor that throws has nothing left to report to.
  }
}

gchat_status gchat_submit(gchat_client* client, const uint8_t* request, size_t size, uint64_t* request_id) {
  return guarded([&] {
    if (!client) return fail(GCHAT_ERROR_INVALID_ARGUMENT, "client is NULL");
    api::Request r;
    if (const auto s = parse(request, size, client->format, r, "request"); s != GCHAT_OK) return s;
    if (r.body_case() == api::Request::BODY_NOT_SET) {
      return fail(GCHAT_ERROR_INVALID_ARGUMENT, "the request has no body (open, enrol, send_text, ...)");
    }
    const std::uint64_t id = client->client->submit(std::move(r));
    if (request_id) *request_id = id;
    return ok();
  });
}

gchat_status gchat_poll(gchat_client* client, int32_t timeout_ms, gchat_buffer* out) {
  return guarded([&] {
    if (!client || !out) return fail(GCHAT_ERROR_INVALID_ARGUMENT, "client or out is NULL");
    out->data = nullptr;
    out->size = 0;
    if (timeout_ms < 0) return fail(GCHAT_ERROR_INVALID_ARGUMENT, "timeout_ms is negative");
    if (client->has_callback) return fail(GCHAT_ERROR_STATE, "outputs go to the callback set on this client");
    auto output = client->client->next(std::chrono::milliseconds(timeout_ms));
    if (!output) return fail(GCHAT_ERROR_TIMEOUT, "nothing arrived within the timeout");
    std::string bytes;
    if (!encode(*output, client->format, bytes)) return fail(GCHAT_ERROR_INTERNAL, "an output did not encode");
    auto* data = static_cast<uint8_t*>(std::malloc(bytes.empty() ? 1 : bytes.size()));
    if (!data) return fail(GCHAT_ERROR_INTERNAL, "out of memory");
    std::memcpy(data, bytes.data(), bytes.size());
    out->data = data;
    out->size = bytes.size();
    return ok();
  });
}

gchat_status gchat_set_callback(gchat_client* client, gchat_callback callback, void* user_data) {
  return guarded([&] {
    if (!client || !callback) return fail(GCHAT_ERROR_INVALID_ARGUMENT, "client or callback is NULL");
    if (client->has_callback.exchange(true)) return fail(GCHAT_ERROR_STATE, "a callback is already set");
    const gchat_format format = client->format;
    client->client->set_callback([callback, user_data, format](const api::Output& output) {
      std::string bytes;
      if (!encode(output, format, bytes)) return;
      try {
        callback(user_data, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      } catch (...) {
        // A C++ callback that throws must not take the client's thread down.
      }
    });
    return ok();
  });
}

void gchat_buffer_free(gchat_buffer* buffer) {
  if (!buffer) return;
  std::free(buffer->data);
  buffer->data = nullptr;
  buffer->size = 0;
}

}  // extern "C"
