/*
 * Module Name: binding/args.h
 *
 * Abstract: argument extraction for the binding. Every export takes positional typed arrays,
 * numbers and booleans only; these helpers check each one and throw a JS error carrying a
 * stable `code` (NNKIT_ERR_ARG for a wrong type or value, NNKIT_ERR_SHAPE for a length that
 * does not match the dimensions) before any kernel can read out of bounds.
 */
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

namespace nn::binding {

using index_t = std::int64_t;

// A number as JavaScript would print it (shortest round-trip form, for error messages).
std::string FormatNumber(double value);

[[noreturn]] void ThrowCode(Napi::Env env, const char* kind, const char* code, const std::string& message);

// Typed-array arguments.
Napi::Float32Array Float32Arg(const Napi::CallbackInfo& info, size_t i, const char* name);
// A Float32Array or null/undefined (then the returned array is empty and `present` false).
Napi::Float32Array OptionalFloat32Arg(const Napi::CallbackInfo& info, size_t i, const char* name, bool* present);
Napi::Int32Array Int32Arg(const Napi::CallbackInfo& info, size_t i, const char* name);

// Scalar arguments.
index_t SizeArg(const Napi::CallbackInfo& info, size_t i, const char* name);     // integer >= 0
index_t PositiveArg(const Napi::CallbackInfo& info, size_t i, const char* name); // integer >= 1
float FloatArg(const Napi::CallbackInfo& info, size_t i, const char* name);      // any number
float FiniteArg(const Napi::CallbackInfo& info, size_t i, const char* name);     // finite number
bool BoolArg(const Napi::CallbackInfo& info, size_t i, const char* name);
// An optional trailing thread count: 0 (the process default) when absent or undefined.
int ThreadsArg(const Napi::CallbackInfo& info, size_t i);

// Throws NNKIT_ERR_SHAPE unless `have` >= `need` elements.
void RequireLength(Napi::Env env, const char* name, size_t have, index_t need);
// Elements a rows x cols matrix with leading dimension ld spans; checks ld >= cols first.
index_t MatrixSpan(Napi::Env env, const char* name, index_t rows, index_t cols, index_t ld);
// Throws NNKIT_ERR_ARG when the output array shares memory with an input.
void RequireDisjoint(Napi::Env env, const char* out_name, const Napi::TypedArray& out, const char* in_name,
                     const Napi::TypedArray& in);

}  // namespace nn::binding
