// The paper's naive product (RSR paper, section 6, and the authors' public
// code, UIC-InDeXLab/RSR native/): r[i] += v[j] * A[j][i] with j the inner
// loop, so the inner loop walks DOWN a column of A, one row (one heap block)
// per step. Built without optimisation (paper_naive.cc refuses otherwise), as
// the authors built theirs; at -O0 every operator[] is a call, and the column
// walk touches a new cache line per step, so its time depends on the memory
// system far more than RSR's does.
#pragma once

#include <vector>

#include "harness/paper/paper_matrix.h"

namespace rsr::paper {

// r = v^T A for a square A (the paper's case): r has v.size() entries, and A
// must be at least v.size() x v.size() (not checked: this is the timed loop;
// the callers pass generated square matrices). RSR's block product calls it
// with the 2^k x 2^k zero-padded B_k (paper_faithful.h).
std::vector<int> PaperNaiveMultiply(const std::vector<int>& v,
                                    const PaperMatrix& a);

}  // namespace rsr::paper
