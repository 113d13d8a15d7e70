/* forward_name: the stream name of a forwarded file, from the
 * --name-template of `livelog forward` (docs/FORWARDING.md, "Names").
 * Pure functions; no state. */
#ifndef LIVELOG_FORWARD_NAME_H
#define LIVELOG_FORWARD_NAME_H

#include <stddef.h>
#include <stdint.h>

#define FORWARD_NAME_DEFAULT_TEMPLATE "forward/{host}/{file}"

/* What a template's placeholders stand for. */
struct forward_name_vars {
    const char *host; /* {host}: the machine's name                   */
    const char *path; /* {path}: the file's path, without leading '/'  */
    uint64_t ino;     /* {ino}: its inode number                       */
    uint64_t gen;     /* {gen}: how many files had this name before it */
};

/* Checks a template: only the placeholders {host}, {file}, {dir},
 * {path}, {ino} and {gen}, and otherwise bytes a stream name may hold.
 * Returns 0, or -EINVAL with a one-line reason in msg (cap bytes). */
int forward_name_check_template(const char *tmpl, char *msg, size_t cap);

/* Expands a checked template into out (cap bytes, NUL-terminated).
 * {file} is the path's last segment, {dir} the one before it ("" when
 * none). Bytes a stream name may not hold become '_'; empty, "." and
 * ".." segments produced by the values are dropped or become "_", so the
 * result is always a valid stream name, or the function fails. When
 * vars->gen > 0 and the template has no {gen} and no {ino}, "~GEN" is
 * appended so that a second file at the same path gets a new stream.
 * Returns 0, -ENAMETOOLONG when the name would pass STORE_NAME_MAX or
 * cap, -EINVAL when it would be empty or end in a "stats" segment. */
int forward_name_expand(const char *tmpl, const struct forward_name_vars *vars,
                        char *out, size_t cap);

#endif
