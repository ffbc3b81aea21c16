;; PIL's separable resampling passes (libImaging/Resample.c, 8-bit path with 22-bit fixed-point
;; weights) in WebAssembly SIMD: the same integer arithmetic as resizeCropped's JS loops in
;; preprocess.ts, so the same bytes, ~3x faster. Source of src/ml/resampleWasm.ts
;; (`npm run build:wasm`, Debian's wabt); tests compare both paths byte for byte.
;;
;; Every sum is HALF + Σ byte·weight in int32 (the caller checks 255·Σ|weights| + HALF < 2^31),
;; shifted right by 22 and clamped to 0..255 by the saturating narrowing, as clip8 does.
;; One pixel's three channels ride in lanes 0..2 of an i32x4 (lane 3 is the next pixel's first
;; byte, computed and thrown away). The vertical pass stores sixteen bytes at a time, so it may
;; write up to 15 bytes past a row (the next row overwrites them) and both passes may read past
;; their input: the caller leaves 16 bytes of slack after each buffer.
(module
  (memory (export "memory") 1)

  ;; Horizontal pass over `rows` rows of interleaved RGB: output column x takes bounds[2x]
  ;; (first source pixel) and bounds[2x + 1] (tap count), weights kk[x·ksize ..]. Two rows per
  ;; walk over the weights, so each weight load feeds two pixels.
  (func (export "horizontal")
    (param $src i32) (param $rs i32) (param $rows i32)
    (param $out i32) (param $ow i32) (param $w i32)
    (param $bounds i32) (param $kk i32) (param $ksize i32)
    (local $y i32) (local $x i32) (local $n i32) (local $p i32) (local $k i32) (local $kend i32)
    (local $d i32) (local $od i32) (local $o i32) (local $row i32)
    (local $a v128) (local $b v128) (local $wt v128)
    (block $done
      (loop $rowsLoop
        (br_if $done (i32.ge_u (local.get $y) (local.get $rows)))
        ;; second row of the pair, or the same row again when it is the last
        (local.set $d (select (local.get $rs) (i32.const 0) (i32.lt_u (i32.add (local.get $y) (i32.const 1)) (local.get $rows))))
        (local.set $od (select (local.get $ow) (i32.const 0) (i32.lt_u (i32.add (local.get $y) (i32.const 1)) (local.get $rows))))
        (local.set $row (i32.add (local.get $src) (i32.mul (local.get $y) (local.get $rs))))
        (local.set $o (i32.add (local.get $out) (i32.mul (local.get $y) (local.get $ow))))
        (local.set $x (i32.const 0))
        (block $colsDone
          (loop $cols
            (br_if $colsDone (i32.ge_u (local.get $x) (local.get $w)))
            (local.set $p (i32.add (local.get $row)
              (i32.mul (i32.load (i32.add (local.get $bounds) (i32.shl (local.get $x) (i32.const 3)))) (i32.const 3))))
            (local.set $n (i32.load offset=4 (i32.add (local.get $bounds) (i32.shl (local.get $x) (i32.const 3)))))
            (local.set $k (i32.add (local.get $kk) (i32.shl (i32.mul (local.get $x) (local.get $ksize)) (i32.const 2))))
            (local.set $kend (i32.add (local.get $k) (i32.shl (local.get $n) (i32.const 2))))
            (local.set $a (i32x4.splat (i32.const 2097152)))
            (local.set $b (local.get $a))
            (block $tapsDone
              (loop $taps
                (br_if $tapsDone (i32.ge_u (local.get $k) (local.get $kend)))
                (local.set $wt (i32x4.splat (i32.load (local.get $k))))
                (local.set $a (i32x4.add (local.get $a) (i32x4.mul (local.get $wt)
                  (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero (local.get $p)))))))
                (local.set $b (i32x4.add (local.get $b) (i32x4.mul (local.get $wt)
                  (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero (i32.add (local.get $p) (local.get $d))))))))
                (local.set $p (i32.add (local.get $p) (i32.const 3)))
                (local.set $k (i32.add (local.get $k) (i32.const 4)))
                (br $taps)))
            (local.set $a (i32x4.shr_s (local.get $a) (i32.const 22)))
            (local.set $a (i8x16.narrow_i16x8_u (i16x8.narrow_i32x4_s (local.get $a) (local.get $a)) (local.get $a)))
            (local.set $b (i32x4.shr_s (local.get $b) (i32.const 22)))
            (local.set $b (i8x16.narrow_i16x8_u (i16x8.narrow_i32x4_s (local.get $b) (local.get $b)) (local.get $b)))
            ;; three bytes each (a four-byte store would spill into a pixel already written)
            (v128.store16_lane 0 (i32.add (local.get $o) (local.get $od)) (local.get $b))
            (v128.store8_lane offset=2 2 (i32.add (local.get $o) (local.get $od)) (local.get $b))
            (v128.store16_lane 0 (local.get $o) (local.get $a))
            (v128.store8_lane offset=2 2 (local.get $o) (local.get $a))
            (local.set $o (i32.add (local.get $o) (i32.const 3)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $cols)))
        (local.set $y (i32.add (local.get $y) (i32.const 2)))
        (br $rowsLoop))))

  ;; Vertical pass: output row y sums bounds[2y + 1] rows of `mid` starting at bounds[2y]
  ;; (already relative to mid's first row), weights kk[y·ksize ..]; sixteen bytes of the row at
  ;; a time, in four i32x4 sums.
  (func (export "vertical")
    (param $mid i32) (param $rowLen i32) (param $h i32) (param $out i32)
    (param $bounds i32) (param $kk i32) (param $ksize i32)
    (local $y i32) (local $j i32) (local $p i32) (local $k i32) (local $kend i32) (local $k0 i32)
    (local $base i32) (local $o i32) (local $n i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $v v128) (local $lo v128) (local $hi v128) (local $wt v128)
    (block $done
      (loop $rowsLoop
        (br_if $done (i32.ge_u (local.get $y) (local.get $h)))
        (local.set $base (i32.add (local.get $mid)
          (i32.mul (i32.load (i32.add (local.get $bounds) (i32.shl (local.get $y) (i32.const 3)))) (local.get $rowLen))))
        (local.set $n (i32.load offset=4 (i32.add (local.get $bounds) (i32.shl (local.get $y) (i32.const 3)))))
        (local.set $k0 (i32.add (local.get $kk) (i32.shl (i32.mul (local.get $y) (local.get $ksize)) (i32.const 2))))
        (local.set $o (i32.add (local.get $out) (i32.mul (local.get $y) (local.get $rowLen))))
        (local.set $j (i32.const 0))
        (block $colsDone
          (loop $cols
            (br_if $colsDone (i32.ge_u (local.get $j) (local.get $rowLen)))
            (local.set $a0 (i32x4.splat (i32.const 2097152)))
            (local.set $a1 (local.get $a0))
            (local.set $a2 (local.get $a0))
            (local.set $a3 (local.get $a0))
            (local.set $p (i32.add (local.get $base) (local.get $j)))
            (local.set $k (local.get $k0))
            (local.set $kend (i32.add (local.get $k0) (i32.shl (local.get $n) (i32.const 2))))
            (block $tapsDone
              (loop $taps
                (br_if $tapsDone (i32.ge_u (local.get $k) (local.get $kend)))
                (local.set $wt (i32x4.splat (i32.load (local.get $k))))
                (local.set $v (v128.load (local.get $p)))
                (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
                (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
                (local.set $a0 (i32x4.add (local.get $a0) (i32x4.mul (local.get $wt) (i32x4.extend_low_i16x8_u (local.get $lo)))))
                (local.set $a1 (i32x4.add (local.get $a1) (i32x4.mul (local.get $wt) (i32x4.extend_high_i16x8_u (local.get $lo)))))
                (local.set $a2 (i32x4.add (local.get $a2) (i32x4.mul (local.get $wt) (i32x4.extend_low_i16x8_u (local.get $hi)))))
                (local.set $a3 (i32x4.add (local.get $a3) (i32x4.mul (local.get $wt) (i32x4.extend_high_i16x8_u (local.get $hi)))))
                (local.set $p (i32.add (local.get $p) (local.get $rowLen)))
                (local.set $k (i32.add (local.get $k) (i32.const 4)))
                (br $taps)))
            (v128.store (i32.add (local.get $o) (local.get $j))
              (i8x16.narrow_i16x8_u
                (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $a0) (i32.const 22)) (i32x4.shr_s (local.get $a1) (i32.const 22)))
                (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $a2) (i32.const 22)) (i32x4.shr_s (local.get $a3) (i32.const 22)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $cols)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rowsLoop)))))
