/*
 * Module Name: binding/exports.h
 *
 * Abstract: the binding's exported functions, one group per source file. Each unpacks and
 * checks its arguments (args.h), calls into nn::kernels, and writes into caller-owned outputs.
 */
#pragma once

#include <napi.h>

namespace nn::binding {

// linalg.cc
Napi::Value Sgemm(const Napi::CallbackInfo& info);
Napi::Value SetNumThreads(const Napi::CallbackInfo& info);
Napi::Value GetNumThreads(const Napi::CallbackInfo& info);
Napi::Value FmaPeak(const Napi::CallbackInfo& info);
Napi::Value SgemmTilePeak(const Napi::CallbackInfo& info);
Napi::Value SgemmBench(const Napi::CallbackInfo& info);
Napi::Value LowerThreadPriority(const Napi::CallbackInfo& info);
// layers.cc
Napi::Value BiasAdd(const Napi::CallbackInfo& info);
Napi::Value BiasGrad(const Napi::CallbackInfo& info);
Napi::Value SoftmaxCrossEntropy(const Napi::CallbackInfo& info);
Napi::Value ActivationForward(const Napi::CallbackInfo& info);
Napi::Value ActivationBackward(const Napi::CallbackInfo& info);
Napi::Value VecExp(const Napi::CallbackInfo& info);
Napi::Value SvmLoss(const Napi::CallbackInfo& info);
Napi::Value MseLoss(const Napi::CallbackInfo& info);
Napi::Value VecMul(const Napi::CallbackInfo& info);
Napi::Value GatherRows(const Napi::CallbackInfo& info);
Napi::Value DropoutForward(const Napi::CallbackInfo& info);
Napi::Value Penalty(const Napi::CallbackInfo& info);
Napi::Value DenseForward(const Napi::CallbackInfo& info);
Napi::Value DenseBackward(const Napi::CallbackInfo& info);
Napi::Value DenseBackwardUpdate(const Napi::CallbackInfo& info);
// optim.cc
Napi::Value SgdUpdate(const Napi::CallbackInfo& info);
Napi::Value MomentumUpdate(const Napi::CallbackInfo& info);
Napi::Value NesterovUpdate(const Napi::CallbackInfo& info);
Napi::Value AdagradUpdate(const Napi::CallbackInfo& info);
Napi::Value RmspropUpdate(const Napi::CallbackInfo& info);
Napi::Value AdamUpdate(const Napi::CallbackInfo& info);

}  // namespace nn::binding
