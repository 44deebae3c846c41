# node-gyp build of the addon: what prebuildify and the install-time fallback compile.
# scripts/check-sources.js keeps the source lists, ISA flags and defines identical to CMakeLists.txt.
{
  'targets': [
    {
      'target_name': 'nnkit',
      'sources': [
        'native/addon.cc',
        'native/binding/args.cc',
        'native/binding/layers.cc',
        'native/binding/linalg.cc',
        'native/binding/optim.cc',
        'native/kernels/api.cc',
        'native/kernels/bench.cc',
        'native/kernels/dense.cc',
        'native/kernels/dispatch.cc',
        'native/kernels/gemm.cc',
        'native/kernels/thread_pool.cc',
        'native/kernels/ref/elementwise_ref.cc',
        'native/kernels/ref/sgemm_ref.cc',
      ],
      'dependencies': [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except",
      ],
      'defines': ['NAPI_VERSION=8', 'NODE_ADDON_API_DISABLE_DEPRECATED'],
      'cflags': ['-O3', '-fvisibility=hidden', '-fno-math-errno', '-fopenmp-simd'],
      'cflags_cc': ['-std=c++17'],
      'conditions': [
        ['target_arch=="x64"', {
          'dependencies': ['nnkit_avx2', 'nnkit_avx512'],
        }],
      ],
    },
    {
      'target_name': 'nnkit_avx2',
      'type': 'static_library',
      'conditions': [
        ['target_arch=="x64"', {
          'sources': [
            'native/kernels/x86/activations_avx2.cc',
            'native/kernels/x86/elementwise_avx2.cc',
            'native/kernels/x86/sgemm_avx2_6x16.cc',
          ],
        }],
      ],
      'defines': ['NAPI_VERSION=8', 'NODE_ADDON_API_DISABLE_DEPRECATED'],
      'cflags': ['-O3', '-fPIC', '-fvisibility=hidden', '-fno-math-errno', '-fopenmp-simd', '-mavx2', '-mfma'],
      'cflags_cc': ['-std=c++17'],
    },
    {
      'target_name': 'nnkit_avx512',
      'type': 'static_library',
      'conditions': [
        ['target_arch=="x64"', {
          'sources': [
            'native/kernels/x86/activations_avx512.cc',
            'native/kernels/x86/elementwise_avx512.cc',
            'native/kernels/x86/sgemm_avx512_12x32.cc',
          ],
        }],
      ],
      'defines': ['NAPI_VERSION=8', 'NODE_ADDON_API_DISABLE_DEPRECATED'],
      'cflags': ['-O3', '-fPIC', '-fvisibility=hidden', '-fno-math-errno', '-fopenmp-simd', '-mavx512f', '-mavx512dq', '-mavx512bw', '-mavx512vl', '-mavx2', '-mfma', '-Wno-maybe-uninitialized', '-Wno-uninitialized'],
      'cflags_cc': ['-std=c++17'],
    },
  ],
}
