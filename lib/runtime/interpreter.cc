#include "edge/runtime/interpreter.h"
