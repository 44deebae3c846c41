/*
 * Module Name: binding/args.cc
 *
 * Abstract: implementation of the argument checks declared in args.h.
 */
#include "args.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace nn::binding {

std::string FormatNumber(double value) {
  char buf[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  return buf;
}

void ThrowCode(Napi::Env env, const char* kind, const char* code, const std::string& message) {
  Napi::Error err = std::string(kind) == "RangeError" ? Napi::RangeError::New(env, message)
                    : std::string(kind) == "TypeError" ? Napi::TypeError::New(env, message)
                                                        : Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  throw err;
}

namespace {

std::string Describe(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsNumber()) {
    const double d = v.As<Napi::Number>().DoubleValue();
    if (std::isnan(d)) return "NaN";
    return v.ToString().Utf8Value();
  }
  if (v.IsBoolean()) return v.ToString().Utf8Value();
  if (v.IsTypedArray()) return "a typed array of another element type";
  if (v.IsString()) return "a string";
  if (v.IsArray()) return "an Array";
  return "an object";
}

[[noreturn]] void ThrowExpected(const Napi::CallbackInfo& info, size_t i, const char* what, const char* name) {
  ThrowCode(info.Env(), "TypeError", "NNKIT_ERR_ARG",
            std::string("Expected ") + what + " for " + name + " but received " + Describe(info[i]));
}

}  // namespace

Napi::Float32Array Float32Arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    ThrowExpected(info, i, "Float32Array", name);
  }
  return v.As<Napi::Float32Array>();
}

Napi::Float32Array OptionalFloat32Arg(const Napi::CallbackInfo& info, size_t i, const char* name, bool* present) {
  const Napi::Value v = info[i];
  *present = !(v.IsNull() || v.IsUndefined());
  if (!*present) return Napi::Float32Array();
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    ThrowExpected(info, i, "Float32Array or null", name);
  }
  return v.As<Napi::Float32Array>();
}

Napi::Int32Array Int32Arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    ThrowExpected(info, i, "Int32Array", name);
  }
  return v.As<Napi::Int32Array>();
}

index_t SizeArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const Napi::Value v = info[i];
  if (v.IsNumber()) {
    const double d = v.As<Napi::Number>().DoubleValue();
    if (std::isfinite(d) && d >= 0 && d == std::floor(d) && d <= 9007199254740991.0) return static_cast<index_t>(d);
  }
  ThrowExpected(info, i, "non-negative integer", name);
}

index_t PositiveArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const Napi::Value v = info[i];
  if (v.IsNumber()) {
    const double d = v.As<Napi::Number>().DoubleValue();
    if (std::isfinite(d) && d >= 1 && d == std::floor(d) && d <= 9007199254740991.0) return static_cast<index_t>(d);
  }
  ThrowExpected(info, i, "positive integer", name);
}

float FloatArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsNumber()) ThrowExpected(info, i, "number", name);
  return static_cast<float>(info[i].As<Napi::Number>().DoubleValue());
}

float FiniteArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info[i].IsNumber()) {
    const double d = info[i].As<Napi::Number>().DoubleValue();
    if (std::isfinite(d)) return static_cast<float>(d);
  }
  ThrowExpected(info, i, "finite number", name);
}

bool BoolArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsBoolean()) ThrowExpected(info, i, "boolean", name);
  return info[i].As<Napi::Boolean>().Value();
}

void RequireLength(Napi::Env env, const char* name, size_t have, index_t need) {
  if (static_cast<index_t>(have) < need) {
    ThrowCode(env, "RangeError", "NNKIT_ERR_SHAPE",
              std::string("Expected at least ") + std::to_string(need) + " elements for " + name +
                  " but received " + std::to_string(have));
  }
}

index_t MatrixSpan(Napi::Env env, const char* name, index_t rows, index_t cols, index_t ld) {
  const index_t min_ld = cols > 1 ? cols : 1;
  if (ld < min_ld) {
    ThrowCode(env, "RangeError", "NNKIT_ERR_SHAPE",
              std::string("Expected leading dimension >= ") + std::to_string(min_ld) + " for " + name +
                  " but received " + std::to_string(ld));
  }
  if (rows == 0 || cols == 0) return 0;
  return (rows - 1) * ld + cols;
}

void RequireDisjoint(Napi::Env env, const char* out_name, const Napi::TypedArray& out, const char* in_name,
                     const Napi::TypedArray& in) {
  if (out.ArrayBuffer() != in.ArrayBuffer()) return;
  const size_t o0 = out.ByteOffset(), o1 = o0 + out.ByteLength();
  const size_t i0 = in.ByteOffset(), i1 = i0 + in.ByteLength();
  if (o0 < i1 && i0 < o1) {
    ThrowCode(env, "RangeError", "NNKIT_ERR_ARG",
              std::string("Expected ") + out_name + " not to share memory with " + in_name);
  }
}

int ThreadsArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || info[i].IsUndefined()) return 0;
  return static_cast<int>(SizeArg(info, i, "threads"));
}

}  // namespace nn::binding
