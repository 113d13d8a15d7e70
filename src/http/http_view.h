/* http_view: the log viewer's pages on the read listener (GET / and
 * GET /view/NAME), served from assets compiled into the binary. */
#ifndef LIVELOG_HTTP_VIEW_H
#define LIVELOG_HTTP_VIEW_H

#endif
