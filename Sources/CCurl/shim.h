#ifndef TOUCHPOINT_CCURL_SHIM_H
#define TOUCHPOINT_CCURL_SHIM_H
#include <curl/curl.h>

/* curl_easy_setopt is variadic, which Swift cannot call: one typed shim per argument kind. */
static inline CURLcode tp_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode tp_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode tp_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode tp_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode tp_curl_setopt_off(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}
typedef size_t (*tp_curl_data_callback)(char *buffer, size_t size, size_t count, void *userdata);
static inline CURLcode tp_curl_setopt_write_function(CURL *handle, tp_curl_data_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}
static inline CURLcode tp_curl_setopt_read_function(CURL *handle, tp_curl_data_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_READFUNCTION, callback);
}
static inline CURLcode tp_curl_setopt_header_function(CURL *handle, tp_curl_data_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback);
}
static inline CURLcode tp_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
typedef int (*tp_curl_seek_callback)(void *userdata, curl_off_t offset, int origin);
static inline CURLcode tp_curl_setopt_seek_function(CURL *handle, tp_curl_seek_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_SEEKFUNCTION, callback);
}
static inline CURLcode tp_curl_getinfo_off(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}
static inline CURLMcode tp_curl_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}
/* CURLMsg carries a union Swift reads awkwardly: return 1 and fill the out-parameters for each finished transfer. */
static inline int tp_curl_multi_next_done(CURLM *multi, CURL **easy, CURLcode *result) {
    int queued = 0;
    CURLMsg *message;
    while ((message = curl_multi_info_read(multi, &queued)) != NULL) {
        if (message->msg == CURLMSG_DONE) {
            *easy = message->easy_handle;
            *result = message->data.result;
            return 1;
        }
    }
    return 0;
}
/* Named values for the enum constants and macros Swift imports poorly. */
static inline long tp_curl_http_version_1_1(void) { return CURL_HTTP_VERSION_1_1; }
static inline long tp_curl_usessl_all(void) { return CURLUSESSL_ALL; }
static inline long tp_curl_usessl_none(void) { return CURLUSESSL_NONE; }
static inline long tp_curl_usessl_try(void) { return CURLUSESSL_TRY; }
static inline long tp_curl_error_size(void) { return CURL_ERROR_SIZE; }
#endif
