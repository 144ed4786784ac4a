/* SPDX-License-Identifier: MIT */
#include "crawl.h"
