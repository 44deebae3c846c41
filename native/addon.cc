/*
 * Module Name: addon.cc
 *
 * Abstract: the addon's export table. Fills the kernel dispatch table (NNKIT_ISA caps it) and
 * exports the binding functions; nothing else lives here.
 */
#include <napi.h>

#include <cstdlib>
#include <string>

#include "binding/args.h"
#include "binding/exports.h"
#include "kernels/nn_kernels.h"

namespace {

// Every kernel call runs with subnormals flushed to zero (see ScopedFlushDenormals); the calling
// thread's own mode, which JavaScript on it relies on, is restored before the call returns.
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value Kernel(const Napi::CallbackInfo& info) {
  const nn::kernels::ScopedFlushDenormals flush;
  return F(info);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  namespace k = nn::kernels;
  const char* requested = std::getenv("NNKIT_ISA");
  if (k::InitDispatch(requested) == k::Status::UnknownIsa) {
    nn::binding::ThrowCode(env, "Error", "NNKIT_ERR_ISA",
                           std::string("Expected one of scalar, avx2, avx512 for NNKIT_ISA but received '") +
                               (requested != nullptr ? requested : "") + "'");
  }
  exports.Set("isa", Napi::String::New(env, k::IsaName(k::ActiveIsa())));
  exports.Set("bestIsa", Napi::String::New(env, k::IsaName(k::BestSupportedIsa())));
  exports.Set("sgemm", Napi::Function::New(env, Kernel<nn::binding::Sgemm>, "sgemm"));
  exports.Set("setNumThreads", Napi::Function::New(env, nn::binding::SetNumThreads, "setNumThreads"));
  exports.Set("getNumThreads", Napi::Function::New(env, nn::binding::GetNumThreads, "getNumThreads"));
  exports.Set("fmaPeak", Napi::Function::New(env, Kernel<nn::binding::FmaPeak>, "fmaPeak"));
  exports.Set("sgemmTilePeak", Napi::Function::New(env, Kernel<nn::binding::SgemmTilePeak>, "sgemmTilePeak"));
  exports.Set("sgemmBench", Napi::Function::New(env, Kernel<nn::binding::SgemmBench>, "sgemmBench"));
  exports.Set("biasAdd", Napi::Function::New(env, Kernel<nn::binding::BiasAdd>, "biasAdd"));
  exports.Set("biasGrad", Napi::Function::New(env, Kernel<nn::binding::BiasGrad>, "biasGrad"));
  exports.Set("softmaxCrossEntropy", Napi::Function::New(env, Kernel<nn::binding::SoftmaxCrossEntropy>, "softmaxCrossEntropy"));
  exports.Set("sgdUpdate", Napi::Function::New(env, Kernel<nn::binding::SgdUpdate>, "sgdUpdate"));
  exports.Set("momentumUpdate", Napi::Function::New(env, Kernel<nn::binding::MomentumUpdate>, "momentumUpdate"));
  exports.Set("activationForward", Napi::Function::New(env, Kernel<nn::binding::ActivationForward>, "activationForward"));
  exports.Set("activationBackward", Napi::Function::New(env, Kernel<nn::binding::ActivationBackward>, "activationBackward"));
  exports.Set("vecExp", Napi::Function::New(env, Kernel<nn::binding::VecExp>, "vecExp"));
  exports.Set("svmLoss", Napi::Function::New(env, Kernel<nn::binding::SvmLoss>, "svmLoss"));
  exports.Set("mseLoss", Napi::Function::New(env, Kernel<nn::binding::MseLoss>, "mseLoss"));
  exports.Set("vecMul", Napi::Function::New(env, Kernel<nn::binding::VecMul>, "vecMul"));
  exports.Set("lowerThreadPriority", Napi::Function::New(env, nn::binding::LowerThreadPriority, "lowerThreadPriority"));
  exports.Set("gatherRows", Napi::Function::New(env, Kernel<nn::binding::GatherRows>, "gatherRows"));
  exports.Set("dropoutForward", Napi::Function::New(env, Kernel<nn::binding::DropoutForward>, "dropoutForward"));
  exports.Set("penalty", Napi::Function::New(env, Kernel<nn::binding::Penalty>, "penalty"));
  exports.Set("denseForward", Napi::Function::New(env, Kernel<nn::binding::DenseForward>, "denseForward"));
  exports.Set("denseBackward", Napi::Function::New(env, Kernel<nn::binding::DenseBackward>, "denseBackward"));
  exports.Set("denseBackwardUpdate", Napi::Function::New(env, Kernel<nn::binding::DenseBackwardUpdate>, "denseBackwardUpdate"));
  exports.Set("nesterovUpdate", Napi::Function::New(env, Kernel<nn::binding::NesterovUpdate>, "nesterovUpdate"));
  exports.Set("adagradUpdate", Napi::Function::New(env, Kernel<nn::binding::AdagradUpdate>, "adagradUpdate"));
  exports.Set("rmspropUpdate", Napi::Function::New(env, Kernel<nn::binding::RmspropUpdate>, "rmspropUpdate"));
  exports.Set("adamUpdate", Napi::Function::New(env, Kernel<nn::binding::AdamUpdate>, "adamUpdate"));
  return exports;
}

}  // namespace

NODE_API_MODULE(nnkit, Init)
