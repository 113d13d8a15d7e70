/* http_view: the log viewer's pages on the read listener (GET / and
 * GET /view/NAME), served from assets compiled into the binary. */
#include "http/http_view.h"
