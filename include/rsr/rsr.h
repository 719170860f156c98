// Umbrella header.
#pragma once

#include "rsr/error.h"
#include "rsr/kernel.h"
#include "rsr/limits.h"
#include "rsr/matrix.h"
#include "rsr/quant.h"
#include "rsr/reference.h"
#include "rsr/registry.h"
#include "rsr/serialize.h"
#include "rsr/targets.h"
