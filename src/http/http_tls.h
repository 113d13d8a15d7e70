/* http_tls: one listener's TLS certificate chain and private key, loaded
 * from PEM files, handed to GnuTLS at each handshake and reloaded without
 * a restart.
 *
 * Each load builds a generation (the chain, the key, the certificate's
 * expiry); the key must match the first certificate of the chain. The
 * current generation is one atomic pointer: a reload builds a new
 * generation off to the side and swaps it in, so a handshake running on
 * a worker thread sees either the old pair or the new one, never a mix.
 * GnuTLS keeps pointing at the pair it was given for the whole life of
 * the session, so retired generations are kept until http_tls_free:
 * reloads are rare (SIGHUP) and a generation is a few KiB; a reload that
 * finds the very same certificate and key keeps nothing new.
 *
 * http_daemon creates one per TLS listener and frees it after the
 * listener has stopped. Load and free run on the main thread; reloads on
 * any thread (serialised by a mutex); http_tls_select on libmicrohttpd's
 * worker threads, lock-free. Never logs key material. */
#ifndef LIVELOG_HTTP_TLS_H
#define LIVELOG_HTTP_TLS_H

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

struct http_tls;

/* Loads cert_path (a PEM chain, leaf first, at most 16 certificates) and
 * key_path (a PEM private key, unencrypted) for the listener `listener`
 * (logged). Logs INFO `tls certificate loaded` with the listener, the
 * path and the expiry, or ERROR `cannot load the tls certificate` with
 * the path and the reason. Returns 0, -ENOENT / -EACCES / other errno of
 * open(2) or read(2), -EFBIG (file over 1 MiB), -EIO (not PEM, no
 * certificate, unusable key, or the key does not match the certificate)
 * or -ENOMEM; *ret set on success only. The caller owns *ret. */
int http_tls_load(const char *listener, const char *cert_path,
                  const char *key_path, struct http_tls **ret);

/* Reads both files again and, when they are good and match, makes them
 * the pair of every handshake that starts from now on; handshakes in
 * progress finish with the old pair. Logs INFO `tls reloaded` with the
 * listener and the new expiry. On failure nothing changes (the previous
 * pair is still served), ERROR `tls reload failed` is logged with the
 * path and the reason, and the errors of http_tls_load are returned.
 * Any thread; safe while worker threads call http_tls_select, not
 * concurrently with http_tls_free. */
int http_tls_reload(struct http_tls *t);

/* The current pair for a handshake, in the shape GnuTLS's
 * gnutls_certificate_retrieve_function2 wants: the chain and the key stay
 * valid until http_tls_free and must not be freed by the caller. Can't
 * fail. Any thread, lock-free. */
void http_tls_select(struct http_tls *t, gnutls_pcert_st **ret_chain,
                     unsigned int *ret_len, gnutls_privkey_t *ret_key);

/* Frees every generation. Only once no session can use them (after the
 * listener stopped). NULL: no-op. */
void http_tls_free(struct http_tls *t);

#endif
