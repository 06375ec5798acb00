/* Kiln runtime helpers for generated C: small, portable C99, header only. Copied next to generated code. */
#ifndef KILN_RUNTIME_H
#define KILN_RUNTIME_H

#include <stdint.h>

#endif /* KILN_RUNTIME_H */
