/*
 * Module Name: dispatch.cc
 *
 * Abstract: fills the kernel table once. Starts from the scalar reference and upgrades step by
 * step to the best ISA that both the CPU (cpuid) and the OS (xgetbv: saved vector state)
 * support, then caps it at what NNKIT_ISA asked for. Compiled without any ISA flag.
 */
#include <cstring>
#include <mutex>

#include "kernel_table.h"

#if defined(__x86_64__) || defined(_M_X64)
#define NN_X86 1
#include <cpuid.h>
#endif

namespace nn::kernels {
namespace {

#if NN_X86
unsigned long long ReadXcr0() {
  unsigned int eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}
#endif

Isa DetectBestIsa() {
#if NN_X86
  unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return Isa::Scalar;
  const bool fma = (ecx >> 12) & 1u, osxsave = (ecx >> 27) & 1u, avx = (ecx >> 28) & 1u;
  if (!(fma && osxsave && avx)) return Isa::Scalar;
  const unsigned long long xcr0 = ReadXcr0();
  if ((xcr0 & 0x6u) != 0x6u) return Isa::Scalar;  // XMM and YMM state saved by the OS
  if (__get_cpuid_max(0, nullptr) < 7) return Isa::Scalar;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  const bool avx2 = (ebx >> 5) & 1u;
  if (!avx2) return Isa::Scalar;
  const bool avx512f = (ebx >> 16) & 1u, avx512dq = (ebx >> 17) & 1u;
  const bool avx512bw = (ebx >> 30) & 1u, avx512vl = (ebx >> 31) & 1u;
  const bool zmm_state = (xcr0 & 0xE0u) == 0xE0u;  // opmask, ZMM0-15 upper, ZMM16-31
  if (avx512f && avx512dq && avx512bw && avx512vl && zmm_state) return Isa::Avx512;
  return Isa::Avx2;
#else
  return Isa::Scalar;
#endif
}

KernelTable MakeTable(Isa isa) {
  KernelTable t{};
  t.isa = Isa::Scalar;
  t.sgemm_ukr = ref::SgemmUkr;
  t.sgemm_ukr_packing = nullptr;
  t.sgemm_narrow = nullptr;
  t.sgemm_narrow_packed = nullptr;
  t.sgemm_small_n = nullptr;
  t.pack_b_sliver = nullptr;
  t.pack_a_transposed = nullptr;
  t.transpose = nullptr;
  t.sgemm_ukr_wide = nullptr;
  t.sgemm_ukr_wide_packing = nullptr;
  t.sgemm_ukr_tall = nullptr;
  t.sgemm_ukr_tall_packing = nullptr;
  t.mr = ref::kMr;
  t.nr = ref::kNr;
  t.kc = 256;
  t.nc = 512;
  t.bias_add = ref::BiasAdd;
  t.bias_grad = ref::BiasGrad;
  t.relu_forward = ref::ReluForward;
  t.relu_backward = ref::ReluBackward;
  t.softmax_xent = ref::SoftmaxCrossEntropy;
  t.sgd_update = ref::SgdUpdate;
  t.momentum_update = ref::MomentumUpdate;
  t.fma_probe = ref::FmaProbe;
  t.activation_forward = ref::ActivationForward;
  t.activation_backward = ref::ActivationBackward;
  t.vec_exp = ref::VecExp;
  t.svm_loss = ref::SvmLoss;
  t.mse_loss = ref::MseLoss;
  t.vec_mul = ref::VecMul;
  t.dropout_forward = ref::DropoutForward;
  t.penalty = ref::Penalty;
  t.nesterov_update = ref::NesterovUpdate;
  t.fused_step = ref::FusedStep;
  t.adagrad_update = ref::AdagradUpdate;
  t.rmsprop_update = ref::RmspropUpdate;
  t.adam_update = ref::AdamUpdate;
#if NN_X86
  if (isa >= Isa::Avx2) {
    t.isa = Isa::Avx2;
    t.sgemm_ukr = avx2::SgemmUkr;
    t.sgemm_ukr_packing = avx2::SgemmUkrPacking;
    t.sgemm_narrow = avx2::SgemmNarrow;
    t.sgemm_narrow_packed = avx2::SgemmNarrowPacked;
    t.pack_b_sliver = avx2::PackBSliver;
    t.pack_a_transposed = avx2::PackATransposed;
    t.transpose = avx2::Transpose;
    t.mr = avx2::kMr;
    t.nr = avx2::kNr;
    t.kc = 256;
    t.nc = 512;
    t.bias_add = avx2::BiasAdd;
    t.bias_grad = avx2::BiasGrad;
    t.relu_forward = avx2::ReluForward;
    t.relu_backward = avx2::ReluBackward;
    t.softmax_xent = avx2::SoftmaxCrossEntropy;
    t.sgd_update = avx2::SgdUpdate;
    t.momentum_update = avx2::MomentumUpdate;
    t.fma_probe = avx2::FmaProbe;
    t.activation_forward = avx2::ActivationForward;
    t.activation_backward = avx2::ActivationBackward;
    t.vec_exp = avx2::VecExp;
    t.svm_loss = avx2::SvmLoss;
    t.mse_loss = avx2::MseLoss;
    t.vec_mul = avx2::VecMul;
    t.dropout_forward = avx2::DropoutForward;
    t.penalty = avx2::Penalty;
    t.nesterov_update = avx2::NesterovUpdate;
    t.fused_step = avx2::FusedStep;
    t.adagrad_update = avx2::AdagradUpdate;
    t.rmsprop_update = avx2::RmspropUpdate;
    t.adam_update = avx2::AdamUpdate;
  }
  if (isa >= Isa::Avx512) {
    t.isa = Isa::Avx512;
    t.sgemm_ukr = avx512::SgemmUkr;
    t.sgemm_ukr_packing = avx512::SgemmUkrPacking;
    t.pack_b_sliver = avx512::PackBSliver;
    t.pack_a_transposed = avx512::PackATransposed;
    t.transpose = avx512::Transpose;
    t.sgemm_narrow = avx512::SgemmNarrow;
    t.sgemm_narrow_packed = avx512::SgemmNarrowPacked;
    t.sgemm_small_n = avx512::SgemmSmallN;
    t.mr = avx512::kMr;
    t.nr = avx512::kNr;
    t.kc = 256;
    t.nc = 512;
    t.sgemm_ukr_wide = avx512::SgemmUkrWide;
    t.sgemm_ukr_wide_packing = avx512::SgemmUkrWidePacking;
    t.mr_wide = avx512::kMrWide;
    t.nr_wide = avx512::kNrWide;
    t.nc_wide = 480;
    t.sgemm_ukr_tall = avx512::SgemmUkrTall;
    t.sgemm_ukr_tall_packing = avx512::SgemmUkrTallPacking;
    t.mr_tall = avx512::kMrTall;
    t.nr_tall = avx512::kNrTall;
    t.nc_tall = 512;
    t.bias_add = avx512::BiasAdd;
    t.bias_grad = avx512::BiasGrad;
    t.relu_forward = avx512::ReluForward;
    t.relu_backward = avx512::ReluBackward;
    t.softmax_xent = avx512::SoftmaxCrossEntropy;
    t.sgd_update = avx512::SgdUpdate;
    t.momentum_update = avx512::MomentumUpdate;
    t.fma_probe = avx512::FmaProbe;
    t.activation_forward = avx512::ActivationForward;
    t.activation_backward = avx512::ActivationBackward;
    t.vec_exp = avx512::VecExp;
    t.svm_loss = avx512::SvmLoss;
    t.mse_loss = avx512::MseLoss;
    t.vec_mul = avx512::VecMul;
    t.dropout_forward = avx512::DropoutForward;
    t.penalty = avx512::Penalty;
    t.nesterov_update = avx512::NesterovUpdate;
    t.fused_step = avx512::FusedStep;
    t.adagrad_update = avx512::AdagradUpdate;
    t.rmsprop_update = avx512::RmspropUpdate;
    t.adam_update = avx512::AdamUpdate;
  }
#else
  (void)isa;
#endif
  return t;
}

std::once_flag g_once;
Status g_status = Status::Ok;
KernelTable g_table = MakeTable(Isa::Scalar);
Isa g_best = Isa::Scalar;

}  // namespace

Status InitDispatch(const char* requested) {
  std::call_once(g_once, [requested] {
    g_best = DetectBestIsa();
    Isa cap = g_best;
    if (requested != nullptr && requested[0] != '\0') {
      if (std::strcmp(requested, "scalar") == 0) {
        cap = Isa::Scalar;
      } else if (std::strcmp(requested, "avx2") == 0) {
        cap = Isa::Avx2;
      } else if (std::strcmp(requested, "avx512") == 0) {
        cap = Isa::Avx512;
      } else {
        g_status = Status::UnknownIsa;
        return;  // the table stays scalar; the binding refuses to load
      }
    }
    g_table = MakeTable(cap < g_best ? cap : g_best);
  });
  return g_status;
}

const KernelTable& Table() { return g_table; }
Isa ActiveIsa() { return g_table.isa; }
Isa BestSupportedIsa() { return g_best; }

const char* IsaName(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    default: return "scalar";
  }
}

}  // namespace nn::kernels
