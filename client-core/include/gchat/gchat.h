/*
 * gchat.h: the G-Chat client core as a plain C library (libgchat.so), for the mobile apps (JNI on
 * Android, Swift on iOS through module.modulemap) and any other language with a C FFI.
 *
 * The whole API is one schema: requests, responses and events are the messages of
 * protocol/proto/gchat/client/v1/client.proto (gchat.client.v1), passed either serialized
 * (GCHAT_FORMAT_PROTOBUF) or as their canonical protobuf JSON (GCHAT_FORMAT_JSON). This header only
 * moves them across the boundary: create a client from a Config, submit Requests, and receive the
 * one ordered stream of Outputs (the Response to each request, with its request_id, and Events),
 * either by polling or through a callback.
 *
 * Errors: every function returns a gchat_status. GCHAT_OK is 0; otherwise gchat_last_error()
 * gives a readable English sentence for the calling thread. Problems inside a request (wrong
 * passphrase, not cleared, offline, ...) are not errors here: they come back in the Response's
 * `error` field with their gchat.client.v1.ErrorCode. No C++ exception ever crosses this boundary.
 *
 * Memory: the library allocates output buffers; release each with gchat_buffer_free(). Inputs are
 * copied before the call returns.
 *
 * Threads: every function may be called from any thread, concurrently, on the same client, except
 * gchat_client_destroy(), which must be the last call on a client and must not run inside its
 * callback. The client runs its own network thread; calls never wait for the network except
 * gchat_poll() for at most its timeout. A callback runs on the client's thread, one output at a
 * time, in order; it must return quickly and must not call gchat_poll() or gchat_client_destroy()
 * (gchat_submit() is allowed).
 *
 * Versions: GCHAT_ABI_VERSION changes only when this header changes incompatibly; the schema
 * evolves additively (new fields and messages), so older apps keep working with newer libraries.
 */
#ifndef GCHAT_GCHAT_H
#define GCHAT_GCHAT_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define GCHAT_API __declspec(dllexport)
#else
#define GCHAT_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define GCHAT_ABI_VERSION 1

typedef enum gchat_status {
  GCHAT_OK = 0,
  GCHAT_ERROR_INVALID_ARGUMENT = 1, /* a null pointer, an unknown format, an out-of-range value */
  GCHAT_ERROR_PARSE = 2,            /* the bytes or JSON are not the expected message */
  GCHAT_ERROR_TIMEOUT = 3,          /* gchat_poll: nothing arrived within the timeout */
  GCHAT_ERROR_STATE = 4,            /* e.g. a callback is set, so gchat_poll has nothing to give */
  GCHAT_ERROR_INTERNAL = 99,
  GCHAT_STATUS_MAX_ENUM = 0x7fffffff /* keeps the type int-sized; never returned */
} gchat_status;

typedef enum gchat_format {
  GCHAT_FORMAT_PROTOBUF = 0, /* serialized protobuf (binary) */
  GCHAT_FORMAT_JSON = 1,     /* protobuf's JSON mapping, UTF-8, not NUL-terminated in buffers */
  GCHAT_FORMAT_MAX_ENUM = 0x7fffffff /* any other value is refused with GCHAT_ERROR_INVALID_ARGUMENT */
} gchat_format;

/* An opaque client: one device's store, keys and relay connection. */
typedef struct gchat_client gchat_client;

/* A buffer the library allocated. */
typedef struct gchat_buffer {
  uint8_t* data;
  size_t size;
} gchat_buffer;

/* Receives one gchat.client.v1.Output in the client's format; `data` is valid during the call only. */
typedef void (*gchat_callback)(void* user_data, const uint8_t* data, size_t size);

/* The library's version ("0.1.0") and this header's ABI version (compare with GCHAT_ABI_VERSION). */
GCHAT_API const char* gchat_version(void);
GCHAT_API int gchat_abi_version(void);

/* The calling thread's last error sentence ("" when none); valid until its next gchat_ call. */
GCHAT_API const char* gchat_last_error(void);

/* Creates a client from a gchat.client.v1.Config. `format` is also the format of everything this
 * client takes and gives afterwards. */
GCHAT_API gchat_status gchat_client_create(const uint8_t* config, size_t size, gchat_format format,
                                           gchat_client** out);

/* Stops the client's thread (requests not answered yet are dropped) and frees it. NULL is ignored. */
GCHAT_API void gchat_client_destroy(gchat_client* client);

/* Queues a gchat.client.v1.Request; its request_id (the one given, or a fresh one when 0) is
 * written to *request_id when that is not NULL. The Response comes later as an Output. */
GCHAT_API gchat_status gchat_submit(gchat_client* client, const uint8_t* request, size_t size,
                                    uint64_t* request_id);

/* Waits up to timeout_ms (0: do not wait) for the next Output and gives it in *out (free it with
 * gchat_buffer_free). GCHAT_ERROR_TIMEOUT when none arrived. */
GCHAT_API gchat_status gchat_poll(gchat_client* client, int32_t timeout_ms, gchat_buffer* out);

/* From now on every Output goes to `callback` (on the client's thread) instead of gchat_poll.
 * Outputs already waiting are delivered to it first. Once set, it stays for the client's life. */
GCHAT_API gchat_status gchat_set_callback(gchat_client* client, gchat_callback callback, void* user_data);

/* Frees a buffer from gchat_poll; sets it to {NULL, 0}. NULL and empty buffers are ignored. */
GCHAT_API void gchat_buffer_free(gchat_buffer* buffer);

#ifdef __cplusplus
}
#endif

#endif /* GCHAT_GCHAT_H */
