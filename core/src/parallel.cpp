#include "vlc/parallel.hpp"
#if defined(_OPENMP)
#include <omp.h>
#endif

namespace vlc {

int max_threads() {
#if defined(_OPENMP)
  return omp_get_max_threads();
#else
  return 1;
#endif
}

void set_threads(int n) {
#if defined(_OPENMP)
  if (n > 0) omp_set_num_threads(n);
#else
  (void)n;
#endif
}

}  // namespace vlc
