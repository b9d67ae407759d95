/*
 * The C ABI from C (not C++): two devices enrol with codes from an administrator, one creates a
 * group with the other and writes, the other receives through a callback. Bad input is refused
 * with status codes and sentences. JSON format throughout (the JNI test covers protobuf bytes).
 *
 * Started by c_abi.sh with the world in the environment: GCHAT_TEST_WORLD, GCHAT_TEST_PORT,
 * GCHAT_TEST_ROOT_B64, GCHAT_TEST_CODE_A, GCHAT_TEST_CODE_B, GCHAT_TEST_COMPLETE (a command that
 * makes the administrator sign redeemed enrolments).
 */
#define _GNU_SOURCE /* memmem */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gchat/gchat.h"

static int failures = 0;
#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      fprintf(stderr, "%s:%d: CHECK failed: %s (%s)\n", __FILE__, __LINE__, #cond, gchat_last_error()); \
      failures++;                                                                     \
    }                                                                                 \
  } while (0)
#define REQUIRE(cond)                                                                 \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      fprintf(stderr, "%s:%d: REQUIRE failed: %s (%s)\n", __FILE__, __LINE__, #cond, gchat_last_error()); \
      exit(1);                                                                        \
    }                                                                                 \
  } while (0)

static const char* env(const char* name) {
  const char* v = getenv(name);
  if (!v || !*v) {
    fprintf(stderr, "missing %s (run through c_abi.sh)\n", name);
    exit(1);
  }
  return v;
}

static gchat_client* make_client(const char* who) {
  char config[2048];
  snprintf(config, sizeof config,
           "{\"data_dir\":\"%s/%s-store\",\"endpoints\":[\"127.0.0.1:%s\"],\"ca_file\":\"%s/tls/ca.pem\","
           "\"root_key\":\"%s\",\"device_name\":\"%s-phone\",\"kdf\":\"interactive\"}",
           env("GCHAT_TEST_WORLD"), who, env("GCHAT_TEST_PORT"), env("GCHAT_TEST_WORLD"), env("GCHAT_TEST_ROOT_B64"),
           who);
  gchat_client* c = NULL;
  REQUIRE(gchat_client_create((const uint8_t*)config, strlen(config), GCHAT_FORMAT_JSON, &c) == GCHAT_OK);
  REQUIRE(c != NULL);
  return c;
}

/* Submits a JSON request and polls until its response; returns it (caller frees), NUL-terminated. */
static char* call(gchat_client* c, const char* request_json) {
  uint64_t id = 0;
  REQUIRE(gchat_submit(c, (const uint8_t*)request_json, strlen(request_json), &id) == GCHAT_OK);
  char want[64];
  snprintf(want, sizeof want, "\"request_id\":\"%llu\"", (unsigned long long)id);
  for (int i = 0; i < 600; i++) {
    gchat_buffer out = {NULL, 0};
    gchat_status s = gchat_poll(c, 100, &out);
    if (s == GCHAT_ERROR_TIMEOUT) continue;
    REQUIRE(s == GCHAT_OK);
    char* text = malloc(out.size + 1);
    memcpy(text, out.data, out.size);
    text[out.size] = '\0';
    gchat_buffer_free(&out);
    CHECK(out.data == NULL && out.size == 0);
    if (strstr(text, want)) return text;
    free(text); /* an event or another response */
  }
  fprintf(stderr, "no response to %s\n", request_json);
  exit(1);
}

/* Polls until an output contains `needle` (60 s at most). */
static int wait_for(gchat_client* c, const char* needle) {
  for (int i = 0; i < 600; i++) {
    gchat_buffer out = {NULL, 0};
    if (gchat_poll(c, 100, &out) != GCHAT_OK) continue;
    int found = memmem(out.data, out.size, needle, strlen(needle)) != NULL;
    gchat_buffer_free(&out);
    if (found) return 1;
  }
  return 0;
}

/* Copies the string value of "key":"..." out of a JSON text. */
static void json_string(const char* json, const char* key, char* out, size_t size) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
  const char* p = strstr(json, pattern);
  REQUIRE(p != NULL);
  p += strlen(pattern);
  const char* end = strchr(p, '"');
  REQUIRE(end != NULL && (size_t)(end - p) < size);
  memcpy(out, p, (size_t)(end - p));
  out[end - p] = '\0';
}

/* The callback side: everything received, kept for the main thread to look at. */
static pthread_mutex_t received_lock = PTHREAD_MUTEX_INITIALIZER;
static char received[1 << 16];
static size_t received_size = 0;
static int callback_calls = 0;

static void on_output(void* user_data, const uint8_t* data, size_t size) {
  CHECK(user_data == &received);
  pthread_mutex_lock(&received_lock);
  if (received_size + size + 1 < sizeof received) {
    memcpy(received + received_size, data, size);
    received_size += size;
    received[received_size++] = '\n';
    received[received_size] = '\0';
  }
  callback_calls++;
  pthread_mutex_unlock(&received_lock);
}

static int received_contains(const char* needle) {
  pthread_mutex_lock(&received_lock);
  int found = strstr(received, needle) != NULL;
  pthread_mutex_unlock(&received_lock);
  return found;
}

static void enrol(gchat_client* c, const char* code) {
  char request[256];
  snprintf(request, sizeof request, "{\"enrol\":{\"code\":\"%s\",\"wait_ms\":0}}", code);
  char* r = call(c, request);
  CHECK(strstr(r, "\"PENDING\"") != NULL); /* redeemed; the administrator has not signed yet */
  free(r);
}

static void collect(gchat_client* c, const char* code, const char* name) {
  char request[256];
  snprintf(request, sizeof request, "{\"enrol\":{\"code\":\"%s\",\"wait_ms\":10000}}", code);
  char* r = call(c, request);
  CHECK(strstr(r, "\"enrolled\"") != NULL);
  CHECK(strstr(r, name) != NULL);
  free(r);
}

int main(void) {
  CHECK(gchat_abi_version() == GCHAT_ABI_VERSION);
  CHECK(strlen(gchat_version()) > 0);

  /* Bad input: status codes and sentences, nothing created. */
  gchat_client* none = (gchat_client*)1;
  CHECK(gchat_client_create((const uint8_t*)"{", 1, GCHAT_FORMAT_JSON, &none) == GCHAT_ERROR_PARSE);
  CHECK(none == NULL);
  CHECK(strlen(gchat_last_error()) > 0);
  CHECK(gchat_client_create((const uint8_t*)"{}", 2, GCHAT_FORMAT_JSON, &none) == GCHAT_ERROR_INVALID_ARGUMENT);
  CHECK(gchat_client_create((const uint8_t*)"{}", 2, (gchat_format)7, &none) == GCHAT_ERROR_INVALID_ARGUMENT);
  CHECK(gchat_client_create(NULL, 0, GCHAT_FORMAT_JSON, NULL) == GCHAT_ERROR_INVALID_ARGUMENT);
  CHECK(gchat_submit(NULL, (const uint8_t*)"{}", 2, NULL) == GCHAT_ERROR_INVALID_ARGUMENT);
  gchat_client_destroy(NULL);
  gchat_buffer_free(NULL);

  gchat_client* ploy = make_client("ploy");
  gchat_client* korn = make_client("korn");
  CHECK(gchat_submit(ploy, (const uint8_t*)"{\"nonsense\":1}", 14, NULL) == GCHAT_ERROR_PARSE);
  CHECK(strstr(gchat_last_error(), "gchat.client.v1.Request") != NULL);
  CHECK(gchat_submit(ploy, (const uint8_t*)"{}", 2, NULL) == GCHAT_ERROR_INVALID_ARGUMENT);
  gchat_buffer nothing = {NULL, 0};
  CHECK(gchat_poll(ploy, 0, &nothing) == GCHAT_ERROR_TIMEOUT);
  CHECK(gchat_poll(ploy, -1, &nothing) == GCHAT_ERROR_INVALID_ARGUMENT);

  /* A request refused by the core comes back as a Response with its error code. */
  char* wrong = call(ploy, "{\"history\":{\"conversation_id\":\"AAAA\"}}");
  CHECK(strstr(wrong, "\"NOT_OPEN\"") != NULL);
  free(wrong);

  const char* open = "{\"open\":{\"passphrase\":\"รหัสผ่านของโทรศัพท์ยาวพอ\"}}";
  char* r = call(ploy, open);
  CHECK(strstr(r, "\"opened\"") != NULL);
  free(r);
  r = call(korn, open);
  CHECK(strstr(r, "\"opened\"") != NULL);
  free(r);

  enrol(ploy, env("GCHAT_TEST_CODE_A"));
  enrol(korn, env("GCHAT_TEST_CODE_B"));
  REQUIRE(system(env("GCHAT_TEST_COMPLETE")) == 0);
  collect(ploy, env("GCHAT_TEST_CODE_A"), "พลอย");
  collect(korn, env("GCHAT_TEST_CODE_B"), "กร");
  CHECK(wait_for(korn, "\"CONNECTED\""));
  CHECK(wait_for(ploy, "\"CONNECTED\""));

  /* korn receives through a callback from now on; polling is then refused. */
  CHECK(gchat_set_callback(korn, on_output, &received) == GCHAT_OK);
  CHECK(gchat_set_callback(korn, on_output, &received) == GCHAT_ERROR_STATE);
  CHECK(gchat_poll(korn, 0, &nothing) == GCHAT_ERROR_STATE);

  r = call(ploy,
           "{\"create_conversation\":{\"kind\":\"GROUP\",\"title\":\"ทดสอบจากภาษาซี\","
           "\"members\":[{\"agency_id\":\"moi\",\"user_id\":\"korn\"}]}}");
  char conversation[128];
  json_string(r, "conversation_id", conversation, sizeof conversation);
  free(r);
  char send[512];
  snprintf(send, sizeof send, "{\"send_text\":{\"conversation_id\":\"%s\",\"text\":\"สวัสดีจากภาษาซี\"}}", conversation);
  r = call(ploy, send);
  CHECK(strstr(r, "\"message\"") != NULL);
  free(r);

  int got = 0;
  for (int i = 0; i < 600 && !got; i++) {
    got = received_contains("สวัสดีจากภาษาซี");
    if (!got) {
      struct timespec pause = {0, 100 * 1000 * 1000};
      nanosleep(&pause, NULL);
    }
  }
  CHECK(got);
  CHECK(received_contains("\"user_id\":\"ploy\"")); /* the verified sender */

  /* korn answers from the callback side's client with gchat_submit (allowed from any thread). */
  snprintf(send, sizeof send, "{\"request_id\":\"77\",\"send_text\":{\"conversation_id\":\"%s\",\"text\":\"ได้รับแล้ว\"}}",
           conversation);
  uint64_t id = 0;
  CHECK(gchat_submit(korn, (const uint8_t*)send, strlen(send), &id) == GCHAT_OK);
  CHECK(id == 77);
  CHECK(wait_for(ploy, "ได้รับแล้ว"));

  gchat_client_destroy(korn);
  gchat_client_destroy(ploy);
  if (failures) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("C ABI scenario passed (%d outputs through the callback)\n", callback_calls);
  return 0;
}
