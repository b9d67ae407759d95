/*
 * libgchat_jni: the JNI side of gchat.GChatClient, written against the C ABI (gchat.h) only. The
 * same code is what an Android app loads. Protobuf bytes cross in both directions; failures become
 * gchat.GChatException with gchat.h's status and sentence.
 */
#include <jni.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gchat/gchat.h"

/* One native client and what its callback needs to reach Java. */
typedef struct binding {
  gchat_client* client;
  JavaVM* vm;
  jobject self;      /* global reference to the GChatClient, when it has a listener */
  jmethodID deliver; /* GChatClient.deliver(byte[]) */
} binding;

static pthread_key_t detach_key;
static pthread_once_t detach_once = PTHREAD_ONCE_INIT;

/* A native thread the JVM knows about must leave it before it ends. */
static void detach_thread(void* vm) { (*(JavaVM*)vm)->DetachCurrentThread((JavaVM*)vm); }
static void make_detach_key(void) { pthread_key_create(&detach_key, detach_thread); }

static void throw_status(JNIEnv* env, int status, const char* message) {
  jclass cls = (*env)->FindClass(env, "gchat/GChatException");
  if (!cls) return; /* NoClassDefFoundError is pending */
  jmethodID ctor = (*env)->GetMethodID(env, cls, "<init>", "(ILjava/lang/String;)V");
  jstring text = (*env)->NewStringUTF(env, message ? message : "");
  jobject e = (*env)->NewObject(env, cls, ctor, (jint)status, text);
  if (e) (*env)->Throw(env, (jthrowable)e);
}

static void throw_last(JNIEnv* env, gchat_status status) { throw_status(env, (int)status, gchat_last_error()); }

/* Copies a Java byte[] into a malloc'd buffer (NULL with an exception pending on failure). */
static uint8_t* copy_bytes(JNIEnv* env, jbyteArray array, jsize* size) {
  if (!array) {
    throw_status(env, GCHAT_ERROR_INVALID_ARGUMENT, "null byte array");
    return NULL;
  }
  *size = (*env)->GetArrayLength(env, array);
  uint8_t* data = malloc(*size > 0 ? (size_t)*size : 1);
  if (!data) {
    throw_status(env, GCHAT_ERROR_INTERNAL, "out of memory");
    return NULL;
  }
  (*env)->GetByteArrayRegion(env, array, 0, *size, (jbyte*)data);
  return data;
}

static binding* from_handle(JNIEnv* env, jlong handle) {
  binding* b = (binding*)(intptr_t)handle;
  if (!b) throw_status(env, GCHAT_ERROR_STATE, "the client is closed");
  return b;
}

JNIEXPORT jstring JNICALL Java_gchat_GChatClient_nativeVersion(JNIEnv* env, jclass cls) {
  (void)cls;
  return (*env)->NewStringUTF(env, gchat_version());
}

JNIEXPORT jlong JNICALL Java_gchat_GChatClient_nativeCreate(JNIEnv* env, jclass cls, jbyteArray config) {
  (void)cls;
  jsize size = 0;
  uint8_t* data = copy_bytes(env, config, &size);
  if (!data) return 0;
  binding* b = calloc(1, sizeof *b);
  if (!b) {
    free(data);
    throw_status(env, GCHAT_ERROR_INTERNAL, "out of memory");
    return 0;
  }
  gchat_status s = gchat_client_create(data, (size_t)size, GCHAT_FORMAT_PROTOBUF, &b->client);
  free(data);
  if (s != GCHAT_OK) {
    free(b);
    throw_last(env, s);
    return 0;
  }
  (*env)->GetJavaVM(env, &b->vm);
  return (jlong)(intptr_t)b;
}

/* On the client's thread: hands the output to GChatClient.deliver. */
static void on_output(void* user_data, const uint8_t* data, size_t size) {
  binding* b = (binding*)user_data;
  JNIEnv* env = NULL;
  if ((*b->vm)->GetEnv(b->vm, (void**)&env, JNI_VERSION_1_6) == JNI_EDETACHED) {
    if ((*b->vm)->AttachCurrentThreadAsDaemon(b->vm, (void**)&env, NULL) != JNI_OK) return;
    pthread_once(&detach_once, make_detach_key);
    pthread_setspecific(detach_key, b->vm);
  }
  jbyteArray array = (*env)->NewByteArray(env, (jsize)size);
  if (!array) {
    (*env)->ExceptionClear(env);
    return;
  }
  (*env)->SetByteArrayRegion(env, array, 0, (jsize)size, (const jbyte*)data);
  (*env)->CallVoidMethod(env, b->self, b->deliver, array);
  if ((*env)->ExceptionCheck(env)) (*env)->ExceptionClear(env);
  (*env)->DeleteLocalRef(env, array);
}

JNIEXPORT void JNICALL Java_gchat_GChatClient_nativeSetListener(JNIEnv* env, jclass cls, jlong handle, jobject self) {
  (void)cls;
  binding* b = from_handle(env, handle);
  if (!b) return;
  if (b->self) {
    throw_status(env, GCHAT_ERROR_STATE, "a listener is already set");
    return;
  }
  jclass client_class = (*env)->GetObjectClass(env, self);
  b->deliver = (*env)->GetMethodID(env, client_class, "deliver", "([B)V");
  if (!b->deliver) return; /* NoSuchMethodError is pending */
  b->self = (*env)->NewGlobalRef(env, self);
  gchat_status s = gchat_set_callback(b->client, on_output, b);
  if (s != GCHAT_OK) throw_last(env, s);
}

JNIEXPORT jlong JNICALL Java_gchat_GChatClient_nativeSubmit(JNIEnv* env, jclass cls, jlong handle, jbyteArray request) {
  (void)cls;
  binding* b = from_handle(env, handle);
  if (!b) return 0;
  jsize size = 0;
  uint8_t* data = copy_bytes(env, request, &size);
  if (!data) return 0;
  uint64_t id = 0;
  gchat_status s = gchat_submit(b->client, data, (size_t)size, &id);
  free(data);
  if (s != GCHAT_OK) {
    throw_last(env, s);
    return 0;
  }
  return (jlong)id;
}

JNIEXPORT jbyteArray JNICALL Java_gchat_GChatClient_nativePoll(JNIEnv* env, jclass cls, jlong handle, jint timeout_ms) {
  (void)cls;
  binding* b = from_handle(env, handle);
  if (!b) return NULL;
  gchat_buffer out = {NULL, 0};
  gchat_status s = gchat_poll(b->client, timeout_ms, &out);
  if (s == GCHAT_ERROR_TIMEOUT) return NULL;
  if (s != GCHAT_OK) {
    throw_last(env, s);
    return NULL;
  }
  jbyteArray array = (*env)->NewByteArray(env, (jsize)out.size);
  if (array) (*env)->SetByteArrayRegion(env, array, 0, (jsize)out.size, (const jbyte*)out.data);
  gchat_buffer_free(&out);
  return array;
}

JNIEXPORT void JNICALL Java_gchat_GChatClient_nativeDestroy(JNIEnv* env, jclass cls, jlong handle) {
  (void)cls;
  binding* b = (binding*)(intptr_t)handle;
  if (!b) return;
  gchat_client_destroy(b->client); /* joins the client's thread: no callback runs after this */
  if (b->self) (*env)->DeleteGlobalRef(env, b->self);
  free(b);
}
