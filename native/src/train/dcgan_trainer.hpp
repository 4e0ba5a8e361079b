// The DCGAN's trainer: the adversarial trainer (adversarial_trainer.hpp) over models/dcgan.hpp.
#pragma once

#include "train/adversarial_trainer.hpp"

namespace latentlab::native {

class DcganTrainer : public AdversarialTrainer<Dcgan> {
 public:
  using AdversarialTrainer<Dcgan>::AdversarialTrainer;
  Dcgan& dcgan() { return network(); }
};

}  // namespace latentlab::native
